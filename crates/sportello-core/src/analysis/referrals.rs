//! Matters of other administrations: what a citizen may ask a comune (or any agency) that
//! another office handles — a passport (Questura), a driving licence (Motorizzazione), a
//! pension (INPS), a family doctor (ASL). When a question is about one of them, its words
//! that the knowledge base shares (`rinnovo`, `documenti`) are not a reason to offer the
//! agency's own entries: the citizen is told which office to turn to instead.
//!
//! A matter counts only while the agency's knowledge base does not use its words itself (see
//! [`crate::Engine`]): a Questura's or an INPS office's KB answers its own questions.

/// One matter: expressions naming it (analysed like any text: stems, stop words dropped) and
/// the office that handles it, in words a citizen understands.
#[derive(Debug, Clone, Copy)]
pub struct Referral {
    pub expressions: &'static [&'static str],
    /// What the matter is, after "per": "il passaporto".
    pub matter: &'static str,
    /// Who handles it: "la Questura (Polizia di Stato)".
    pub office: &'static str,
}

const fn r(
    expressions: &'static [&'static str],
    matter: &'static str,
    office: &'static str,
) -> Referral {
    Referral {
        expressions,
        matter,
        office,
    }
}

/// Built-in matters of other administrations (national offices present everywhere in Italy).
/// Only unambiguous names of services: a word that a comune's citizens also use for the
/// comune's own services ("denuncia", "raccomandata", "contributo") does not belong here.
pub const OTHER_OFFICES: &[Referral] = &[
    // Questura / Polizia di Stato.
    r(&["passaporto", "passaporti"], "il passaporto", "la Questura (Polizia di Stato)"),
    r(&["permesso di soggiorno", "carta di soggiorno"], "il permesso di soggiorno", "la Questura (Polizia di Stato)"),
    r(&["porto d'armi", "licenza di porto"], "il porto d'armi", "la Questura (Polizia di Stato)"),
    // Motorizzazione civile, ACI/PRA and Regione.
    r(&["patente", "patenti", "foglio rosa", "neopatentato"], "la patente di guida", "la Motorizzazione civile (Portale dell'automobilista)"),
    r(&["revisione auto", "revisione della macchina", "revisione dell'auto", "revisione moto", "motorizzazione"], "la revisione dei veicoli", "la Motorizzazione civile (Portale dell'automobilista) o un centro di revisione autorizzato"),
    r(&["libretto di circolazione", "immatricolazione", "passaggio di proprietà", "pra", "certificato di proprietà"], "i documenti dei veicoli", "l'ACI (Pubblico Registro Automobilistico) o la Motorizzazione civile"),
    r(&["bollo auto", "bollo moto", "bollo della macchina", "bollo dell'auto", "tassa automobilistica", "superbollo"], "il bollo auto", "la Regione o l'ACI"),
    // INPS and INAIL.
    r(&["pensione", "pensioni", "pensionamento", "estratto contributivo", "contributi previdenziali"], "la pensione e i contributi previdenziali", "l'INPS"),
    r(&["naspi", "indennità di disoccupazione", "cassa integrazione", "assegno unico", "congedo parentale", "congedo di maternità"], "le prestazioni previdenziali", "l'INPS"),
    r(&["infortunio sul lavoro", "malattia professionale"], "gli infortuni sul lavoro", "l'INAIL"),
    // Agenzia delle Entrate.
    r(&["codice fiscale", "tesserino del codice fiscale", "tessera sanitaria"], "il codice fiscale e la tessera sanitaria", "l'Agenzia delle Entrate"),
    r(&["dichiarazione dei redditi", "modello 730", "730 precompilato", "irpef", "partita iva", "cassetto fiscale", "canone rai", "dichiarazione di successione"], "le imposte statali", "l'Agenzia delle Entrate"),
    r(&["visura catastale", "catasto", "accatastamento", "planimetria catastale"], "il catasto", "l'Agenzia delle Entrate (Territorio)"),
    // Servizio sanitario.
    r(&["medico di base", "medico di famiglia", "pediatra", "cambio medico", "scelta del medico"], "il medico di famiglia e il pediatra", "l'ASL (Azienda sanitaria locale)"),
    r(&["ricetta medica", "ricetta elettronica", "esenzione ticket", "ticket sanitario", "prenotazione visita", "cup sanitario", "fascicolo sanitario", "vaccinazione", "vaccino"], "le prestazioni sanitarie", "l'ASL (Azienda sanitaria locale) o il CUP della Regione"),
    // Giustizia, Prefettura, Esteri, Difesa, Università.
    r(&["casellario giudiziale", "carichi pendenti", "certificato penale"], "il casellario giudiziale", "la Procura della Repubblica (Ufficio del casellario)"),
    r(&["cittadinanza italiana", "domanda di cittadinanza"], "la domanda di cittadinanza", "la Prefettura (Ministero dell'Interno)"),
    r(&["visto d'ingresso", "visto turistico", "esta", "ambasciata", "consolato"], "i visti e i viaggi all'estero", "l'ambasciata o il consolato del Paese, o il sito Viaggiare Sicuri della Farnesina"),
    r(&["servizio militare", "foglio matricolare", "congedo militare", "leva militare"], "il servizio militare", "il Ministero della Difesa (distretto militare)"),
    r(&["università", "universitaria", "universitario", "ateneo", "immatricolazione universitaria", "erasmus"], "l'università", "l'ateneo o l'ente regionale per il diritto allo studio"),
    // Utilities and transport.
    r(&["bolletta della luce", "bolletta del gas", "fornitore di luce", "fornitore del gas", "contratto della luce", "contratto luce", "contratto del gas", "contatore del gas", "contatore della luce"], "luce e gas", "il proprio fornitore di energia (reclami: ARERA, Sportello per il consumatore)"),
    r(&["linea telefonica", "bolletta del telefono", "fibra ottica", "operatore telefonico"], "il telefono e internet", "il proprio operatore (reclami: AGCOM)"),
    r(&["treno", "treni", "trenitalia", "volo aereo", "biglietto aereo"], "treni e voli", "la compagnia di trasporto"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_matter_names_expressions_and_an_office() {
        for m in OTHER_OFFICES {
            assert!(!m.expressions.is_empty(), "{}", m.matter);
            assert!(
                m.expressions.iter().all(|e| !e.trim().is_empty()),
                "{}",
                m.matter
            );
            assert!(!m.office.is_empty() && !m.matter.is_empty());
        }
    }
}
