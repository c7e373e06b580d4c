// The ALTCHA proof-of-work widget is a custom element; tell TSX about the attributes we use.
import "preact";

declare module "preact" {
  namespace JSX {
    interface IntrinsicElements {
      "altcha-widget": {
        challenge?: string;
        name?: string;
        auto?: string;
        language?: string;
      };
    }
  }
}
