/** What the webmail's settings page accepts (`routes/settings.routes.tsx`), route by route. */
import { Fields, Loose, Text } from "../forms.js";

/** `?enregistre` (settings) or `?affichage` (display) after a save: looked at for their presence only. */
export const ShowSettings = { querystring: Fields({ enregistre: Loose(), affichage: Loose() }) };

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

/** « Affichage »: the reading pane and the list's density (radio values), two checkboxes. */
export const SaveDisplay = {
  body: Fields({
    volet: Text(20),
    densite: Text(20),
    conversations: Text(5),
    taille: Text(5),
  }),
};
