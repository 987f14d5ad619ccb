//! Every Italian sentence the core shows to citizens, in one place (ready for other
//! languages): the decline, referral and "Forse cercavi…" messages, the AI disclosure and the
//! built-in small-talk replies. The other administrations' matters and offices named by
//! referrals are data, in `analysis::referrals`.

/// The heading of "did you mean" choices.
pub const CLARIFY: &str = "Forse cercavi…";

/// The reply to a message with nothing usable in it.
pub const EMPTY_QUESTION: &str = "Non ho capito la domanda. Può scriverla con parole sue, per esempio: «Come rinnovo la carta d'identità?»";

/// The honest decline, before the agency's contacts.
pub fn no_answer(agency: &str) -> String {
    format!(
        "Mi dispiace, non ho trovato una risposta a questa domanda tra le informazioni di {agency}. Può contattare direttamente l'ufficio:"
    )
}

/// The decline of a question about another administration's `matter`, naming its `office`.
pub fn other_office(matter: &str, office: &str, agency: &str) -> String {
    format!(
        "La domanda sembra riguardare {matter}: se ne occupa {office}. Tra le informazioni di {agency} non c'è una risposta; per altre domande può contattare l'ufficio:"
    )
}

/// The sentence telling citizens they are talking to an automatic assistant.
pub fn ai_disclosure(agency: &str) -> String {
    format!(
        "Sono un assistente automatico: rispondo con le informazioni pubblicate da {agency}. Le risposte possono contenere errori; per i casi particolari contatti l'ufficio."
    )
}

/// The built-in small-talk reply for an intent; `{ente}` stands for the agency's name.
pub fn small_talk(intent: &str) -> &'static str {
    match intent {
        "greeting" => "Buongiorno! Sono l'assistente virtuale di {ente}. Scriva pure la sua domanda, per esempio: «Come rinnovo la carta d'identità?»",
        "thanks" => "Prego! Se ha altre domande, sono qui.",
        "goodbye" => "Arrivederci e buona giornata!",
        "bot_identity" => "Sono un assistente automatico, non una persona: rispondo con le informazioni pubblicate da {ente}. Per parlare con una persona può usare questi contatti:",
        "help" => "Posso rispondere alle domande più frequenti sui servizi di {ente}. Scriva la domanda con parole sue, per esempio: «Quali documenti servono per il cambio di residenza?»",
        "human" => "Per parlare con una persona può contattare direttamente l'ufficio:",
        _ => "Mi dispiace se non sono stato utile. Può riformulare la domanda oppure contattare direttamente l'ufficio:",
    }
}
