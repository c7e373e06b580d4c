/**
 * The académie's own mail domains: SESAME_MAIL_DOMAIN and SESAME_INTERNAL_DOMAINS, subdomains
 * included. The one rule for "is this address inside the académie" (forwarding, sender display).
 */
export function academieDomains(mailDomain: string, internalDomains: readonly string[]): readonly string[] {
  return [mailDomain, ...internalDomains].map((d) => d.toLowerCase());
}

/** The domain part of an address, lower case ("" when there is none). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0
    ? ""
    : address
        .slice(at + 1)
        .toLowerCase()
        .replace(/\.$/, "");
}

/** Whether `address` belongs to one of `domains` or to a subdomain of one. */
export function isAcademieAddress(address: string, domains: readonly string[]): boolean {
  const domain = domainOf(address);
  if (domain === "") return false;
  return domains.some((d) => domain === d || domain.endsWith(`.${d}`));
}
