/**
 * What the compose page accepts (`routes/compose.routes.tsx`), route by route. Its form may come
 * as multipart (with files): the route turns the text parts into plain fields before the schema
 * is checked, so one schema serves both encodings.
 */
import { Type } from "@sinclair/typebox";
import { Fields, Loose, OptionalId, OptionalText } from "../forms.js";

/** Files a message may carry (new ones and the draft's kept ones together). */
export const MAX_FILES = 20;

/**
 * A long text of the form (addresses, subject, message, rich text): any single string here; its
 * length and characters are said at its field by the route (the form comes back with the error).
 */
const LongText = () => Type.String({ default: "" });
/** A "Conserver" checkbox: the index of one of the draft's attachments. */
const KeptIndex = Type.String({ pattern: "^[0-9]{1,3}$" });

const fields = {
  a: LongText(),
  cc: LongText(),
  cci: LongText(),
  objet: LongText(),
  message: LongText(),
  html: LongText(),
  "reponse-a": OptionalId(),
  "transfert-joint": OptionalId(),
  brouillon: OptionalId(),
  garder: Type.Optional(Type.Union([KeptIndex, Type.Array(KeptIndex, { maxItems: 2 * MAX_FILES })])),
};
/** Every other field is text too (one value or several): a multipart part that is not is refused. */
const others = { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]) };

/** The form's fields, as the autosave sends them and as the page is shown again from. */
export const ComposeBody = Type.Object(fields, others);

/** `?repondre=` and the other modes (an id, else 404), `&enregistre` after a save. */
const modeId = OptionalText(20);
export const ComposePage = {
  querystring: Fields({
    enregistre: Loose(),
    repondre: modeId,
    "repondre-a-tous": modeId,
    transferer: modeId,
    "transferer-en-piece-jointe": modeId,
    brouillon: modeId,
  }),
};

/** "Envoyer" and "Enregistrer le brouillon" (no button: "Envoyer"). */
const action = Type.Union([Type.Literal(""), Type.Literal("envoyer"), Type.Literal("brouillon")], { default: "" });
export const Send = { body: Type.Object({ ...fields, action }, others) };
export const Autosave = { body: ComposeBody };
