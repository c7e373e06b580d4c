/**
 * A console agent in Chromium: the sign-in and the second factor's enrolment as a person does them
 * (the code computed from the secret the page shows), up to the console's home page.
 */
import { generate } from "otplib";
import type { Page } from "playwright-core";
import { field } from "./browser.js";
import { MAILBOX_PASSWORD } from "./web.js";

/** The code an authenticator shows now (`offsetS` later: the next 30 s step). */
export function browserTotp(secret: string, offsetS = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetS });
}

/** Signs `username` in to the console and enrols the second factor; the TOTP secret returned. */
export async function enrolInConsole(page: Page, username: string): Promise<string> {
  await page.goto("/console/connexion");
  await page.getByRole("heading", { name: "Connexion à la console", level: 1 }).waitFor();
  await field(page, "Nom d'utilisateur").fill(username);
  await field(page, "Mot de passe").fill(MAILBOX_PASSWORD);
  await page.getByRole("button", { name: "Continuer" }).click();
  await page.getByRole("heading", { name: "Activer la double authentification", level: 1 }).waitFor();
  const secret = ((await page.locator("code.totp-secret").textContent()) ?? "").replace(/\s/g, "");
  await field(page, "Code à 6 chiffres").fill(await browserTotp(secret));
  await page.getByRole("button", { name: "Activer", exact: true }).click();
  await page.getByRole("heading", { name: "Vos codes de secours", level: 1 }).waitFor();
  await page.getByRole("link", { name: "J'ai noté mes codes : aller à la console" }).click();
  await page.getByRole("heading", { name: "Console", level: 1 }).waitFor();
  return secret;
}
