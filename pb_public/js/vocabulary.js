// vocabulary.js: Homeward's domain vocabulary for the web apps. Made by
// `go generate ./internal/vocab` from internal/vocab/vocab.go: change it
// there, never here (a test fails when this copy differs).

/** STATUSES: every status of a report: the workflow, then the side exits. */
export const STATUSES = Object.freeze(["new","in_review","contacted","assisted","repatriated","closed","duplicate","spam"]);
/** WORKFLOW: the usual path of a report, first to last. */
export const WORKFLOW = Object.freeze(["new","in_review","contacted","assisted","repatriated","closed"]);
/** NEEDS: what a reporter may ask for, in the form's order. */
export const NEEDS = Object.freeze(["safety","medical","shelter","food_money","documents","legal","repatriation","family_contact","other"]);
/** LANGUAGES: the app's languages, in the language menu's order. */
export const LANGUAGES = Object.freeze(["en","id","zh","vi","th","my","km","fil"]);
/** GENDERS: a reporter's optional answer about themself. */
export const GENDERS = Object.freeze(["female","male","other","unknown"]);
/** AGE_BANDS: a reporter's optional age band. */
export const AGE_BANDS = Object.freeze(["under_18","18_25","26_35","36_50","over_50","unknown"]);
/** PASSPORT_ANSWERS: the answers to whether the employer holds the passport. */
export const PASSPORT_ANSWERS = Object.freeze(["yes","no","unknown"]);
/** CHANNELS: who wrote a report. */
export const CHANNELS = Object.freeze(["self","volunteer"]);
/** DIRECTIONS: who wrote a message. */
export const DIRECTIONS = Object.freeze(["reporter","staff"]);
/** EVENT_KINDS: kinds of audit event. */
export const EVENT_KINDS = Object.freeze(["created","status","note","reply","route","duplicate","export","assign","print"]);
/** URGENT_ANSWERS: yes to any of these makes a report urgent. */
export const URGENT_ANSWERS = Object.freeze(["safety_risk_now","minors_present"]);
/** URGENT_NEEDS: asking for any of these makes a report urgent. */
export const URGENT_NEEDS = Object.freeze(["medical"]);
/** NATIONALITY_OTHER: the nationality of someone from a country not in the list. */
export const NATIONALITY_OTHER = "other";
