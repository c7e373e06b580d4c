/** Someone named in an invitation: the organizer or an attendee. */
export interface CalendarPerson {
  readonly name: string;
  readonly address: string;
}

export interface CalendarEvent {
  readonly uid: string;
  readonly stamp: Date;
  readonly start: Date;
  readonly end: Date;
  readonly summary: string;
  readonly location: string;
  readonly description: string;
  readonly organizer: CalendarPerson;
  readonly attendees: readonly CalendarPerson[];
}

/** An iCalendar invitation (METHOD:REQUEST), CRLF lines folded at 75 octets. */
export function icsInvitation(event: CalendarEvent): Buffer {
  const stamp = (d: Date): string =>
    d
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
  const text = (value: string): string => value.replace(/[\\;,]/g, (ch) => `\\${ch}`).replace(/\n/g, "\\n");
  const cn = (p: CalendarPerson): string => `CN="${p.name.replace(/"/g, "'")}"`;
  const fold = (line: string): string => {
    const parts: string[] = [];
    let current = "";
    let bytes = 0;
    for (const ch of line) {
      const size = Buffer.byteLength(ch);
      if (bytes + size > (parts.length === 0 ? 75 : 74)) {
        parts.push(current);
        current = "";
        bytes = 0;
      }
      current += ch;
      bytes += size;
    }
    parts.push(current);
    return parts.join("\r\n ");
  };
  const lines = [
    "BEGIN:VCALENDAR",
    "PRODID:-//Sésame//Démo de la messagerie//FR",
    "VERSION:2.0",
    "CALSCALE:GREGORIAN",
    "METHOD:REQUEST",
    "BEGIN:VEVENT",
    `UID:${event.uid}`,
    `DTSTAMP:${stamp(event.stamp)}`,
    `DTSTART:${stamp(event.start)}`,
    `DTEND:${stamp(event.end)}`,
    `SUMMARY:${text(event.summary)}`,
    `LOCATION:${text(event.location)}`,
    `DESCRIPTION:${text(event.description)}`,
    `ORGANIZER;${cn(event.organizer)}:mailto:${event.organizer.address}`,
    ...event.attendees.map(
      (p) => `ATTENDEE;${cn(p)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${p.address}`,
    ),
    "STATUS:CONFIRMED",
    "SEQUENCE:0",
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    `DESCRIPTION:${text(event.summary)}`,
    "TRIGGER:-PT30M",
    "END:VALARM",
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return Buffer.from(`${lines.map(fold).join("\r\n")}\r\n`, "utf8");
}
