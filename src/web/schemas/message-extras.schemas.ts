/**
 * What the pages around one message accept (`routes/message-extras.routes.tsx`): « Vous allez
 * quitter la messagerie » (`?url=`, a link of the message), its source and « Télécharger tout ». Ids in a URL are any
 * text here: the route answers 404 for anything but an id.
 */
import { Type } from "@sinclair/typebox";
import { Fields, Text } from "../forms.js";

/** The longest link the HTML sanitizer keeps (`MAX_LINK_LENGTH`), with room for its serialization. */
const MAX_URL_LENGTH = 20 * 1024;

const IdParams = Type.Object({ id: Type.String() });

/** `?url=`: the link to follow; the route checks that it is one of the message's own. */
export const LeavePage = { params: IdParams, querystring: Fields({ url: Text(MAX_URL_LENGTH) }) };
export const MessageSource = { params: IdParams };
export const AllAttachments = { params: IdParams };
