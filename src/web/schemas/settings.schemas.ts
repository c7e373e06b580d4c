/** What the webmail's settings page accepts (`routes/settings.routes.tsx`), route by route. */
import { Fields, Loose, Text } from "../forms.js";

/** `?enregistre` after a save: looked at for its presence only. */
export const ShowSettings = { querystring: Fields({ enregistre: Loose() }) };

/** Signature, away message and forwarding; the password asked again before forwarding changes. */
export const SaveSettings = {
  body: Fields({
    signature: Text(4000),
    absence: Text(5),
    du: Text(40),
    au: Text(40),
    objet: Text(400),
    message: Text(10_000),
    transfert: Text(320),
    copie: Text(5),
    motDePasse: Text(),
  }),
};
