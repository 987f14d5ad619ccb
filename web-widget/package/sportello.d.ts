// Types of the <sportello-chat> element (sportello.js) and of the replies it shows.
// The engine's own API, `Assistant`, is typed by wasm-bindgen in sportello_wasm.d.ts; its
// methods return JSON text, parsed here into `Reply`, `AgencyInfo` and `Suggestion`.
// Licence: MIT OR Apache-2.0.

import type { Assistant } from './sportello_wasm.js';

export type { Assistant };

/** How to reach a person at the agency (every field optional, as in agency.toml). */
export interface Contacts {
  office?: string;
  phone?: string;
  email?: string;
  hours?: string;
  url?: string;
  address?: string;
}

/** One entry offered in a "Forse cercavi…" choice or kept as a decline's candidate. */
export interface Candidate {
  id: string;
  question: string;
  score: number;
  confidence: number;
}

/** A valid notice (avviso) shown before a reply: `html` is sanitised HTML, `text` plain text. */
export interface Notice {
  id: string;
  title: string;
  html: string;
  text: string;
  priority: 'normal' | 'high';
  /** The notice's last moment, as the editor wrote it. */
  until?: string;
}

/** What every reply carries (the wire format of the CLI's --json, the JSON API and the wasm). */
export interface ReplyBase {
  /** The agency's id. */
  agency: string;
  /** The entries the reply offers, best first (one for an answer, the options for clarify). */
  ids: string[];
  /** Calibrated confidence, 0 to 1 (0 for declines and small talk). */
  confidence: number;
}

export type ReplyKind = 'answer' | 'clarify' | 'decline' | 'small_talk';
export type DeclineReason = 'empty' | 'no_match' | 'low_confidence' | 'other_office';

/** A direct answer: `answer_html` is sanitised HTML, `answer_text` plain text for chats. */
export interface AnswerReply extends ReplyBase {
  kind: 'answer';
  id: string;
  question: string;
  answer: string;
  answer_html: string;
  answer_text: string;
  source?: string;
  confidence: number;
  /** Follow-up entries as `[id, question]` pairs. */
  related: Array<[string, string]>;
  /** Valid notices concerning the reply (or global), shown above it. */
  notices?: Notice[];
  [field: string]: unknown;
}

/** "Forse cercavi…": the citizen picks one of `options` (then `answerEntry(id)`). */
export interface ClarifyReply extends ReplyBase {
  kind: 'clarify';
  message: string;
  options: Candidate[];
  confidence: number;
  /** Valid notices concerning the reply (or global), shown above it. */
  notices?: Notice[];
  [field: string]: unknown;
}

/** An honest decline, with the agency's (or the competent office's) contacts. */
export interface DeclineReply extends ReplyBase {
  kind: 'decline';
  message: string;
  reason: DeclineReason;
  contacts: Contacts;
  candidates: Candidate[];
  /** Valid notices concerning the reply (or global), shown above it. */
  notices?: Notice[];
  [field: string]: unknown;
}

/** Greetings, thanks, "sei un robot?", requests for a person. */
export interface SmallTalkReply extends ReplyBase {
  kind: 'small_talk';
  intent: string;
  message: string;
  contacts?: Contacts;
  [field: string]: unknown;
}

export type Reply = AnswerReply | ClarifyReply | DeclineReply | SmallTalkReply;

/** `JSON.parse(assistant.info())`, also the element's `info` once ready. */
export interface AgencyInfo {
  id: string;
  name: string;
  contacts: Contacts;
  /** The sentence telling citizens they talk to an automatic assistant. */
  ai_disclosure: string;
  entries: number;
  prebuilt: boolean;
}

/** One element of `JSON.parse(assistant.suggest(partial, limit))`. */
export interface Suggestion {
  id: string;
  question: string;
}

/** Interface strings (Italian defaults in `DEFAULT_STRINGS`); assign some to `strings`. */
export interface SportelloStrings {
  launcher: string;
  title: string;
  close: string;
  conversation: string;
  inputLabel: string;
  placeholder: string;
  send: string;
  /** `{agency}` is replaced by the agency's name. */
  welcome: string;
  loading: string;
  loadError: string;
  you: string;
  bot: string;
  clarifyHint: string;
  related: string;
  source: string;
  newTab: string;
  feedbackQuestion: string;
  feedbackYes: string;
  feedbackNo: string;
  feedbackThanks: string;
  contactsTitle: string;
  phone: string;
  email: string;
  hours: string;
  url: string;
  address: string;
  suggestions: string;
  agencyFallback: string;
}

/** Milliseconds (`performance.now()` based) of the last load. */
export interface SportelloTimings {
  start: number;
  bundle: number;
  engine: number;
  /** Time to open the engine from the bundle. */
  index: number;
  ready: number;
  prebuilt: boolean;
}

export interface SportelloReadyDetail {
  timings: SportelloTimings;
  agency: string;
  entries: number;
}

export interface SportelloReplyDetail {
  kind: ReplyKind;
  id: string | null;
  ms: number;
  at: number;
}

export interface SportelloFeedbackDetail {
  id: string;
  question: string;
  helpful: boolean;
}

export interface SportelloErrorDetail {
  message: string;
}

export interface SportelloChatEventMap {
  'sportello-ready': CustomEvent<SportelloReadyDetail>;
  'sportello-reply': CustomEvent<SportelloReplyDetail>;
  'sportello-feedback': CustomEvent<SportelloFeedbackDetail>;
  'sportello-error': CustomEvent<SportelloErrorDetail>;
  'sportello-open': CustomEvent<null>;
  'sportello-close': CustomEvent<null>;
}

/**
 * `<sportello-chat src="/sportello/bundle/" load="idle" position="right">`.
 *
 * Attributes: `src` (bundle folder with `bundle.json` and `bundle.bin`, or URL of a `.json`
 * bundle with its `.bin` beside it; default `bundle/`), `load`
 * (`idle` default, `open`, `eager`), `position` (`right` default, `left`); set by the
 * element: `open` (while the dialog is open), `ready` (once the engine is ready).
 */
export declare class SportelloChat extends HTMLElement {
  static readonly observedAttributes: string[];
  /** True once the engine is ready. */
  ready: boolean;
  /** Timings of the last load (empty until ready). */
  timings: Partial<SportelloTimings>;
  /** The interface strings; assigning merges over the current ones. */
  get strings(): SportelloStrings;
  set strings(value: Partial<SportelloStrings>);
  /** The engine once ready, else null. */
  readonly assistant: Assistant | null;
  /** Agency name, contacts and AI disclosure once ready, else null. */
  readonly info: AgencyInfo | null;
  readonly isOpen: boolean;
  /** Loads the engine and the bundle (once); resolves with the engine when ready. */
  load(): Promise<Assistant>;
  open(): void;
  close(): void;
  toggle(): void;
  /** Shows `question` and its reply as if typed; resolves with the reply (null if not loaded). */
  ask(question: string): Promise<Reply | null>;
  /** Shows the answer of one entry; `label` is shown as the citizen's message. */
  answerEntry(id: string, label?: string): Promise<Reply | null>;
  addEventListener<K extends keyof SportelloChatEventMap>(
    type: K,
    listener: (this: SportelloChat, ev: SportelloChatEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof SportelloChatEventMap>(
    type: K,
    listener: (this: SportelloChat, ev: SportelloChatEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): void;
}

/** The Italian interface strings. */
export declare const DEFAULT_STRINGS: Readonly<SportelloStrings>;

/** True for http(s), mailto, tel and relative URLs, the only links answers may carry. */
export declare function isSafeUrl(url: string): boolean;

/** Sanitises answer HTML (text formatting and safe links only) into a fragment. */
export declare function sanitizeHtml(html: string, strings?: SportelloStrings): DocumentFragment;

declare global {
  interface HTMLElementTagNameMap {
    'sportello-chat': SportelloChat;
  }
  interface DocumentEventMap extends SportelloChatEventMap {}
}
