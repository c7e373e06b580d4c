/** The content types of the demo attachments. */
export const PDF = "application/pdf";
export const CSV = "text/csv; charset=utf-8";
export const ICS = "text/calendar; charset=utf-8; method=REQUEST";
export const PNG = "image/png";
export const TXT = "text/plain; charset=utf-8";
