/** The French texts of the settings page (Paramètres) and of the automatic reply. */

export const settingsFr = {
  title: "Paramètres",
  intro: "Votre signature, votre message d'absence et le transfert de vos messages.",
  saved: "Vos paramètres ont été enregistrés.",
  save: "Enregistrer les paramètres",
  signatureTitle: "Signature",
  signature: "Signature",
  signatureHint:
    "Ajoutée sous vos nouveaux messages, après une ligne « -- ». Exemple : Jean Dupont, professeur de mathématiques",
  awayTitle: "Message d'absence",
  awayIntro:
    "Pendant la période choisie, une réponse automatique est envoyée à chaque personne qui vous écrit, une fois par période de 7 jours au plus. Les listes de diffusion, les messages automatiques et les avis de non-remise ne reçoivent pas de réponse.",
  awayEnabled: "Activer le message d'absence",
  awayStart: "Du",
  awayEnd: "Au",
  dayHint: "Facultatif. Au format JJ/MM/AAAA, par exemple 20/07/2026 (jour inclus).",
  awaySubject: "Objet",
  awaySubjectHint: "Facultatif. Par défaut : « Réponse automatique : » suivi de l'objet du message reçu.",
  awayText: "Message",
  awayTextHint: "Exemple : Je suis absent jusqu'au 24 août. Pour toute urgence, écrivez à secretariat@ac-lyon.fr.",
  forwardTitle: "Transfert",
  forwardIntro: "Les messages que vous recevez sont aussi envoyés à cette adresse.",
  forwardAddress: "Adresse",
  forwardAddressHint: "Facultatif : laissez vide pour ne rien transférer. Exemple : prenom.nom@exemple.fr",
  forwardKeepCopy: "Conserver une copie dans ma boîte",
  currentPassword: "Mot de passe actuel",
  currentPasswordHint:
    "Demandé pour transférer vos messages vers une adresse extérieure à l'académie : par sécurité, saisissez votre mot de passe (il reste valable 5 minutes).",
  errors: {
    tooLong: (max: number) => `Ce texte est trop long : ${max} caractères au plus.`,
    date: "Saisissez une date valide au format JJ/MM/AAAA, par exemple 20/07/2026.",
    endBeforeStart: "La date de fin doit être égale ou postérieure à la date de début.",
    textRequired: "Saisissez le message envoyé pendant votre absence.",
    subjectLineBreak: "L'objet doit tenir sur une seule ligne.",
    forwardInvalid: "Saisissez une adresse électronique valide, par exemple prenom.nom@exemple.fr.",
    forwardOwn: "Saisissez une autre adresse que la vôtre.",
    forwardOutsideWithoutCopy:
      "Vers une adresse extérieure à l'académie, le transfert conserve toujours une copie dans votre boîte : cochez « Conserver une copie dans ma boîte ».",
    passwordRequired:
      "Pour transférer vos messages vers une adresse extérieure à l'académie, saisissez votre mot de passe actuel.",
    passwordWrong: "Le mot de passe saisi n'est pas le bon.",
  },
} as const;
