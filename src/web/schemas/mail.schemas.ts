/**
 * What the webmail's mailbox pages accept (`routes/mail.routes.tsx`), route by route. Ids in a URL
 * are any text here: the route answers 404 for anything but an id, as for an id that is not there.
 */
import { Type } from "@sinclair/typebox";
import { Fields, Id, Loose, OptionalId, Text } from "../forms.js";

/** The actions on checked messages: the value of the button pressed. */
export const ACTIONS = [
  "lu",
  "non-lu",
  "suivre",
  "ne-plus-suivre",
  "deplacer",
  "supprimer",
  "signaler",
  "pas-indesirable",
] as const;
export type Action = (typeof ACTIONS)[number];

/** The notice a page shows after a redirect (`?fait=…&n=…`, `?erreur=…`): known values only are shown. */
const notices = { fait: Loose(), n: Loose(), erreur: Loose(), "mot-de-passe-modifie": Loose() };
export const NoticeQuery = Fields(notices);
/**
 * A list page: the notices, the keyset cursor (`?avant=`), the message open in the reading pane
 * (`?lire=`) and its remote images (`?images=1`).
 */
export const ListQuery = Fields({ ...notices, avant: OptionalId(), lire: OptionalId(), images: Loose() });

const IdParams = Type.Object({ id: Type.String() });

export const Folder = { querystring: ListQuery };
export const FolderById = { params: IdParams, querystring: ListQuery };
/** The pages that show the mailbox's frame and nothing else from the URL. */
export const WithNotice = { querystring: NoticeQuery };
/** A folder's rename or delete page (and their forms, shown again on an error). */
export const FolderPage = { params: IdParams, querystring: NoticeQuery };

/** One action on the checked messages (`ids`: one value or several, a few pages' worth at most). */
export const Actions = {
  body: Fields({
    // Absent when a folder of the « Déplacer vers » menu was chosen (its button is `vers`).
    action: Type.Optional(Type.Union(ACTIONS.map((a) => Type.Literal(a)))),
    ids: Type.Optional(Type.Union([Id(), Type.Array(Id(), { maxItems: 500 })])),
    retour: Text(),
    message: Text(20),
    destination: Text(20),
    vers: Text(20),
  }),
};

export const CreateFolder = { querystring: NoticeQuery, body: Fields({ nom: Text(), parent: Text(20) }) };
export const RenameFolder = { params: IdParams, querystring: NoticeQuery, body: Fields({ nom: Text() }) };

/** `?images=1`: the remote images of this message shown, once. */
export const ReadMessage = { params: IdParams, querystring: Fields({ ...notices, images: Loose() }) };
/** The reading pane's content for the page's script: `retour`, the list it is read from. */
export const PaneFragment = { params: IdParams, querystring: Fields({ ...notices, images: Loose(), retour: Text() }) };
export const MessageFrame = { params: IdParams, querystring: Fields({ images: Loose() }) };
export const Attachment = { params: Type.Object({ id: Type.String(), index: Type.String() }) };

export const Search = {
  querystring: Fields({
    ...notices,
    q: Text(200),
    de: Text(200),
    a: Text(200),
    objet: Text(200),
    du: Text(200),
    au: Text(200),
    pj: Text(200),
    dossier: Text(200),
    avant: OptionalId(),
    lire: OptionalId(),
    images: Loose(),
  }),
};
