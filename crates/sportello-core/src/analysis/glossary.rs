//! The built-in glossary: Italian public-administration acronyms and common citizen paraphrases.
//!
//! Each group lists expressions with the same meaning; the analyzer adds one shared token for
//! the group wherever any of them appears, in the knowledge base and in questions alike.
//! Agencies add their own groups in `agency.toml` (`synonyms`).

/// Built-in synonym groups (written naturally; they go through the same analysis as any text).
pub const PA_GLOSSARY: &[&[&str]] = &[
    // Identity and digital services.
    &[
        "cie",
        "carta d'identità elettronica",
        "carta d'identità",
        "carta identità",
        "c.i.e.",
    ],
    &[
        "spid",
        "sistema pubblico di identità digitale",
        "identità digitale",
    ],
    &["pec", "posta elettronica certificata"],
    &[
        "anpr",
        "anagrafe nazionale della popolazione residente",
        "anagrafe nazionale",
    ],
    &[
        "aire",
        "anagrafe degli italiani residenti all'estero",
        "italiani residenti all'estero",
    ],
    &["codice fiscale", "cf"],
    &["iban", "coordinate bancarie"],
    // Taxes, payments, economic status.
    &[
        "tari",
        "tassa sui rifiuti",
        "tassa rifiuti",
        "tassa della spazzatura",
        "tassa spazzatura",
        "tariffa rifiuti",
    ],
    &[
        "imu",
        "imposta municipale propria",
        "imposta municipale",
        "tassa sulla casa",
    ],
    &["isee", "indicatore della situazione economica equivalente"],
    &["pagopa", "pago pa"],
    &["f24", "modello f24"],
    // Offices and procedures.
    &["urp", "ufficio relazioni con il pubblico"],
    &[
        "suap",
        "sportello unico per le attività produttive",
        "sportello unico attività produttive",
    ],
    &["scia", "segnalazione certificata di inizio attività"],
    &["cila", "comunicazione di inizio lavori asseverata"],
    &[
        "dat",
        "disposizioni anticipate di trattamento",
        "testamento biologico",
    ],
    &["asl", "azienda sanitaria locale", "asp", "usl", "ausl"],
    &["inps", "istituto nazionale della previdenza sociale"],
    &["anagrafe", "servizi demografici", "ufficio anagrafe"],
    &["comune", "municipio"],
    &[
        "polizia locale",
        "polizia municipale",
        "vigili urbani",
        "vigili",
    ],
    // Traffic and mobility.
    &["ztl", "zona a traffico limitato"],
    &[
        "cude",
        "contrassegno disabili",
        "contrassegno invalidi",
        "pass disabili",
        "contrassegno unificato disabili europeo",
    ],
    &["multa", "contravvenzione"],
    // Everyday words citizens use for the same thing.
    &["rifiuti", "spazzatura", "immondizia", "pattume"],
    &[
        "smarrimento",
        "smarrito",
        "smarrita",
        "perso",
        "persa",
        "perdita",
        "smarrire",
    ],
    &["furto", "rubato", "rubata", "derubato"],
    &["costo", "prezzo", "importo", "quanto si paga"],
    &["matrimonio", "sposarsi", "nozze"],
    &["decesso", "morte", "morto", "defunto"],
    &[
        "disabile",
        "disabilità",
        "invalido",
        "invalidità",
        "handicap",
    ],
    &["appuntamento", "prenotazione", "prenotare"],
    &[
        "online",
        "on line",
        "via internet",
        "telematico",
        "telematica",
    ],
    &["asilo nido", "nido"],
    &[
        "mensa scolastica",
        "refezione scolastica",
        "ristorazione scolastica",
    ],
    &["scuolabus", "trasporto scolastico", "pulmino"],
    &["trasloco", "cambio di residenza", "cambio residenza"],
    // General Italian: the same thing said in different words.
    &["orario", "orari", "a che ora", "che ore"],
    &["buttare", "gettare", "smaltire", "smaltimento", "disfarsi"],
    &[
        "minore",
        "minorenne",
        "minorenni",
        "bambino",
        "bambina",
        "bimbo",
        "bimba",
    ],
    &["cellulare", "telefonino", "smartphone"],
    &["auto", "automobile", "macchina", "vettura", "autoveicolo"],
    &["affitto", "locazione", "canone di locazione"],
    &["anziano", "anziana", "anziani", "terza età"],
    &["pagare", "pagamento", "versare", "versamento", "saldare"],
    &["domanda", "istanza", "richiesta"],
    &["rimborso", "restituzione", "rimborsare"],
    &["parcheggio", "parcheggiare", "sosta", "posteggio"],
    &["convivente", "compagno", "compagna", "partner"],
    &[
        "rumore",
        "rumori",
        "baccano",
        "schiamazzi",
        "disturbo della quiete",
    ],
];
