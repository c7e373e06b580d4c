/** What the address book accepts (`routes/contacts.routes.tsx`), route by route. */
import { Type } from "@sinclair/typebox";
import { Fields, Loose, Text } from "../forms.js";

/** A pasted vCard file may be much larger than a form field. */
export const MAX_VCARD_CHARS = 2 * 1024 * 1024;
/** The import's body limit: room for the percent-encoding of a vCard at its largest. */
export const IMPORT_LIMIT = 3 * MAX_VCARD_CHARS;

/** The notices after a redirect (`?fait=…`, with the import's counts): known values only are shown. */
export const ContactsQuery = Fields({ fait: Loose(), ajoutes: Loose(), presents: Loose(), invalides: Loose() });

/** `:id` as written in the URL (anything but an id is a 404, said by the route). */
export const ContactParams = Type.Object({ id: Type.String() });

const contact = { name: Text(200), address: Text(320) };

/** The list, and the forms that show it again with their errors. */
export const ListContacts = { querystring: ContactsQuery };
/** `retour`: the mailbox page to go back to, when added from a message. */
export const AddContact = { querystring: ContactsQuery, body: Fields({ ...contact, retour: Text(200) }) };
export const ShowContact = { params: ContactParams };
export const EditContact = { params: ContactParams, body: Fields(contact) };
export const ImportContacts = { querystring: ContactsQuery, body: Fields({ vcard: Text(MAX_VCARD_CHARS) }) };
export const ContactSuggestions = { querystring: Fields({ q: Text(100) }) };
