// Compiled with `tsc --strict` by scripts/release-check.sh against the installed npm package:
// the element, its events and replies are typed (not `any`): each @ts-expect-error line must
// be an error, or tsc fails.
import type { Assistant, Reply, SportelloChat, AgencyInfo } from 'sportello-widget';
import { DEFAULT_STRINGS, isSafeUrl } from 'sportello-widget';

const chat: SportelloChat | null = document.querySelector('sportello-chat');
if (chat) {
  chat.addEventListener('sportello-feedback', (e) => {
    const id: string = e.detail.id;
    const helpful: boolean = e.detail.helpful;
    // @ts-expect-error the entry id is a string
    const wrong: number = e.detail.id;
    console.log(id, helpful, wrong);
  });
  chat.addEventListener('sportello-ready', (e) => console.log(e.detail.timings.index, e.detail.entries));
  chat.strings = { send: 'Chiedi' };
  // @ts-expect-error no such interface string
  chat.strings = { sendd: 'Chiedi' };
  chat.ask("quanto costa la carta d'identità").then((r: Reply | null) => {
    if (r && r.kind === 'answer') console.log(r.answer_html, r.related[0]?.[1]);
    if (r && r.kind === 'decline') console.log(r.contacts.phone, r.reason);
    // @ts-expect-error a clarify reply has no answer_html (unknown, not a string)
    if (r && r.kind === 'clarify') console.log(r.answer_html.length);
  });
  const engine: Assistant | null = chat.assistant;
  if (engine) {
    const json: string = engine.ask('ztl');
    const info: AgencyInfo = JSON.parse(engine.info());
    console.log(json, info.contacts.email, engine.suggest('ztl', 5), engine.answerEntry('x'));
  }
  chat.open();
}
console.log(DEFAULT_STRINGS.welcome, isSafeUrl('https://example.org'));
