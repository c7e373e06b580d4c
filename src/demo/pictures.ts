/** The pictures attached to demo messages, drawn pixel by pixel. */
import { pngImage, type Rgb } from "./encoders/png.js";

const inRect = (x: number, y: number, x0: number, y0: number, x1: number, y1: number): boolean =>
  x >= x0 && x < x1 && y >= y0 && y < y1;

const BLUE: Rgb = [0, 0, 145];
const RED: Rgb = [225, 0, 15];
const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [58, 58, 58];

/** The académie's logo of the newsletter: the tricolour band and three lines of "text". */
export function logoPng(): Buffer {
  return pngImage(96, 32, (x, y) => {
    if (x < 6) return BLUE;
    if (x >= 12 && x < 18) return RED;
    if (inRect(x, y, 26, 7, 88, 12) || inRect(x, y, 26, 15, 74, 19) || inRect(x, y, 26, 22, 64, 25)) return INK;
    return WHITE;
  });
}

/** A plan: streets, the school, the gymnasium and a red marker. */
export function mapPng(): Buffer {
  return pngImage(160, 120, (x, y) => {
    if ((x - 120) ** 2 + (y - 92) ** 2 <= 36) return RED;
    if (inRect(x, y, 0, 55, 160, 65) || inRect(x, y, 70, 0, 80, 120)) return WHITE;
    if (inRect(x, y, 18, 14, 60, 46)) return [176, 132, 96];
    if (inRect(x, y, 92, 74, 150, 112)) return [96, 140, 200];
    if (inRect(x, y, 92, 10, 140, 44)) return [140, 190, 120];
    return [236, 236, 228];
  });
}

/** A screenshot of the ENT showing an error box. */
export function screenshotPng(): Buffer {
  return pngImage(160, 100, (x, y) => {
    if (y < 14) return BLUE;
    if (x < 34) return [232, 232, 240];
    if (inRect(x, y, 48, 40, 150, 62)) {
      return inRect(x, y, 50, 42, 148, 60) ? [253, 226, 226] : RED;
    }
    if (y > 22 && y % 8 < 2 && x > 44 && x < 150 - ((y * 7) % 30)) return [190, 190, 190];
    return WHITE;
  });
}

/** A bar chart of the averages by class. */
export function chartPng(heights: readonly number[]): Buffer {
  return pngImage(120, 80, (x, y) => {
    if (y === 72 || x === 6) return INK;
    const bar = Math.floor((x - 12) / 18);
    const height = heights[bar];
    if (x >= 12 && (x - 12) % 18 < 12 && height !== undefined && y < 72 && y >= 72 - height) {
      return bar % 2 === 0 ? BLUE : [106, 106, 244];
    }
    return WHITE;
  });
}
