/** What the console's administration pages accept (`routes/console-admin.routes.tsx`). */
import { Type } from "@sinclair/typebox";
import { Fields, Loose } from "../forms.js";

/** The import form's page; `?fait=abandonne`: the notice after discarding an upload. */
export const ImportForm = { querystring: Fields({ fait: Loose() }) };

/**
 * The upload (multipart): its text fields as plain values; the file is streamed to disk by the
 * route's parser and is not part of the schema.
 */
export const Upload = { body: Fields({ kind: Loose(), full: Loose() }) };

/** An import's page: its token (any other is a page saying the import is gone). */
const Job = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const JobPage = { params: Job };
export const Apply = { params: Job, body: Fields({ force: Loose() }) };
export const Discard = { params: Job };

/** The establishments, searched by UAI or name, one page of 50. */
export const Establishments = { querystring: Fields({ q: Loose(), page: Loose() }) };

/** The outbound queue; `?fait=`: the notice after an action. */
export const Queue = { querystring: Fields({ fait: Loose() }) };
export const QueueAction = { params: Type.Object({ id: Type.String({ maxLength: 20 }) }) };

export const Config = {};
