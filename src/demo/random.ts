/**
 * The demo mail's one source of randomness: a faker seeded once and used in a fixed order, so that
 * the same seed gives the same messages, byte for byte. Every template draws from it, in turn.
 */
import { base, Faker, fr } from "@faker-js/faker";

export type Sex = "female" | "male";

export class Rand {
  readonly faker: Faker;

  constructor(seed: number) {
    this.faker = new Faker({ locale: [fr, base], seed });
  }

  int(min: number, max: number): number {
    return this.faker.number.int({ min, max });
  }

  chance(probability: number): boolean {
    return this.faker.number.float({ min: 0, max: 1 }) < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new RangeError("cannot pick from an empty list");
    return item;
  }

  sample<T>(items: readonly T[], count: number): T[] {
    return this.faker.helpers.arrayElements(items, Math.min(count, items.length));
  }

  shuffle<T>(items: readonly T[]): T[] {
    return this.faker.helpers.shuffle([...items]);
  }

  hex(length: number): string {
    return this.faker.string.hexadecimal({ length, casing: "lower", prefix: "" });
  }

  sex(): Sex {
    return this.chance(0.6) ? "female" : "male";
  }

  /** "12,5" — a grade on 20, by half points. */
  grade(min = 4, max = 19): string {
    return (this.int(min * 2, max * 2) / 2).toFixed(1).replace(".", ",").replace(",0", "");
  }
}
