/**
 * The ALTCHA proof-of-work widget, self-hosted (no third-party request), loaded only on forms that
 * carry a challenge. The "external" build keeps its styles and workers out of the script, as our
 * strict CSP requires; its PBKDF2 worker is served from /static/vendor/.
 */
import "altcha/external";
import "altcha/i18n/fr-fr";

interface AltchaGlobal {
  algorithms: Map<string, () => Worker>;
}

const altcha = (globalThis as unknown as { $altcha: AltchaGlobal }).$altcha;
altcha.algorithms.set("PBKDF2/SHA-256", () => new Worker("/static/vendor/altcha-pbkdf2.js"));
