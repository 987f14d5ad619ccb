//! The OpenAPI 3.1 description of the JSON API, served at `GET /openapi.json`.

use serde_json::{json, Value};

pub fn document() -> Value {
    let agency = json!({
        "name": "agency", "in": "path", "required": true,
        "schema": {"type": "string"}, "description": "Id dell'ente nella configurazione"
    });
    let error = json!({"$ref": "#/components/schemas/Error"});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sportello API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Risposte ai cittadini dalle FAQ dell'ente. Ogni risposta è `answer`, `clarify` (\"Forse cercavi…\"), `decline` (con i contatti dell'ufficio) o `small_talk`."
        },
        "paths": {
            "/v1/agencies/{agency}/ask": {
                "post": {
                    "summary": "Fa una domanda",
                    "parameters": [agency],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["question"],
                        "properties": {"question": {"type": "string", "description": "La domanda del cittadino (oltre 1.000 caratteri viene tagliata)"}}
                    }}}},
                    "responses": {
                        "200": {"description": "La risposta", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reply"}}}},
                        "400": {"description": "JSON non valido", "content": {"application/json": {"schema": error}}},
                        "404": {"description": "Ente inesistente o API non attiva", "content": {"application/json": {"schema": error}}},
                        "408": {"description": "Richiesta troppo lenta"},
                        "413": {"description": "Corpo troppo grande"},
                        "415": {"description": "Il corpo non è application/json", "content": {"application/json": {"schema": error}}},
                        "429": {"description": "Troppe richieste dallo stesso indirizzo", "content": {"application/json": {"schema": error}}}
                    }
                }
            },
            "/v1/agencies/{agency}/answer": {
                "post": {
                    "summary": "La risposta di una voce scelta (dopo «Forse cercavi…» o una domanda collegata)",
                    "parameters": [agency],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["entry_id"],
                        "properties": {"entry_id": {"type": "string", "description": "L'id della voce (da ids o options di una risposta)"}}
                    }}}},
                    "responses": {
                        "200": {"description": "La risposta", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reply"}}}},
                        "400": {"description": "JSON non valido", "content": {"application/json": {"schema": error}}},
                        "404": {"description": "Ente inesistente, API non attiva o voce inesistente", "content": {"application/json": {"schema": error}}},
                        "408": {"description": "Richiesta troppo lenta"},
                        "413": {"description": "Corpo troppo grande"},
                        "415": {"description": "Il corpo non è application/json", "content": {"application/json": {"schema": error}}},
                        "429": {"description": "Troppe richieste dallo stesso indirizzo", "content": {"application/json": {"schema": error}}}
                    }
                }
            },
            "/v1/agencies/{agency}/suggest": {
                "post": {
                    "summary": "Domande della base di conoscenza che il cittadino potrebbe star scrivendo",
                    "parameters": [agency],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["text"],
                        "properties": {
                            "text": {"type": "string", "description": "Il testo scritto finora"},
                            "limit": {"type": "integer", "minimum": 0, "description": "Quante al massimo (1-10, predefinito 5)"}
                        }
                    }}}},
                    "responses": {
                        "200": {"description": "I suggerimenti, il migliore per primo", "content": {"application/json": {"schema": {
                            "type": "object", "required": ["agency", "suggestions"],
                            "properties": {
                                "agency": {"type": "string"},
                                "suggestions": {"type": "array", "items": {"type": "object", "required": ["id", "question"], "properties": {"id": {"type": "string"}, "question": {"type": "string"}}}}
                            }
                        }}}},
                        "400": {"description": "JSON non valido", "content": {"application/json": {"schema": error}}},
                        "404": {"description": "Ente inesistente o API non attiva", "content": {"application/json": {"schema": error}}},
                        "408": {"description": "Richiesta troppo lenta"},
                        "413": {"description": "Corpo troppo grande"},
                        "415": {"description": "Il corpo non è application/json", "content": {"application/json": {"schema": error}}},
                        "429": {"description": "Troppe richieste dallo stesso indirizzo", "content": {"application/json": {"schema": error}}}
                    }
                }
            },
            "/v1/agencies/{agency}/info": {
                "get": {
                    "summary": "Nome dell'ente, contatti e frase che dichiara l'assistente automatico",
                    "parameters": [agency],
                    "responses": {
                        "200": {"description": "L'ente", "content": {"application/json": {"schema": {
                            "type": "object", "required": ["agency", "name", "contacts", "ai_disclosure", "entries"],
                            "properties": {
                                "agency": {"type": "string"}, "name": {"type": "string"},
                                "contacts": {"$ref": "#/components/schemas/Contacts"},
                                "ai_disclosure": {"type": "string"}, "entries": {"type": "integer", "minimum": 0}
                            }
                        }}}},
                        "404": {"description": "Ente inesistente o API non attiva", "content": {"application/json": {"schema": error}}},
                        "408": {"description": "Richiesta troppo lenta"},
                        "429": {"description": "Troppe richieste dallo stesso indirizzo", "content": {"application/json": {"schema": error}}}
                    }
                }
            },
            "/v1/agencies/{agency}/feedback": {
                "post": {
                    "summary": "Valuta una risposta (👍 / 👎; i 👎 vanno ai redattori) o segnala una domanda senza risposta dal widget (CORS: solo le origini in widget_origins dell'ente, senza credenziali; 403 per le altre)",
                    "parameters": [agency],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object",
                        "description": "Un voto ha entry_id e helpful; una domanda segnalata ha event e question",
                        "properties": {
                            "entry_id": {"type": "string"},
                            "helpful": {"type": "boolean"},
                            "question": {"type": "string", "description": "La domanda (salvata senza dati personali)"},
                            "event": {"type": "string", "enum": ["unanswered", "clarified"]},
                            "entry_ids": {"type": "array", "items": {"type": "string"}},
                            "channel": {"type": "string", "enum": ["widget", "api"]}
                        }
                    }}}},
                    "responses": {
                        "200": {"description": "Registrata"},
                        "400": {"description": "JSON non valido", "content": {"application/json": {"schema": error}}},
                        "404": {"description": "Ente inesistente", "content": {"application/json": {"schema": error}}},
                        "408": {"description": "Richiesta troppo lenta"},
                        "413": {"description": "Corpo troppo grande"},
                        "415": {"description": "Il corpo non è application/json", "content": {"application/json": {"schema": error}}},
                        "422": {"description": "Voce inesistente, evento sconosciuto o domanda mancante", "content": {"application/json": {"schema": error}}},
                        "429": {"description": "Troppe richieste dallo stesso indirizzo", "content": {"application/json": {"schema": error}}}
                    }
                }
            },
            "/v1/agencies/{agency}/telegram": {
                "post": {
                    "summary": "Webhook di Telegram (autenticato dal secret_token di setWebhook)",
                    "parameters": [agency, {"name": "X-Telegram-Bot-Api-Secret-Token", "in": "header", "required": false, "schema": {"type": "string"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "description": "Un Update della Bot API"}}}},
                    "responses": {
                        "200": {"description": "Ricevuto; il corpo può contenere la risposta (sendMessage)"},
                        "401": {"description": "Segreto mancante o errato"},
                        "404": {"description": "Ente inesistente o canale non attivo", "content": {"application/json": {"schema": error}}},
                        "408": {"description": "Richiesta troppo lenta"},
                        "413": {"description": "Corpo troppo grande"}
                    }
                }
            },
            "/v1/agencies/{agency}/whatsapp": meta_webhook("WhatsApp Cloud API", &agency, &error),
            "/v1/agencies/{agency}/messenger": meta_webhook("Messenger", &agency, &error),
            "/v1/agencies/{agency}/instagram": meta_webhook("Instagram Direct", &agency, &error),
            "/healthz": {"get": {"summary": "Processo attivo (liveness)", "responses": {"200": {"description": "In servizio"}}}},
            "/readyz": {"get": {"summary": "Pronto a ricevere richieste (readiness)", "responses": {"200": {"description": "Pronto"}, "503": {"description": "In chiusura (draining) o archivio delle segnalazioni fermo"}}}},
            "/metrics": {"get": {"summary": "Metriche Prometheus", "responses": {"200": {"description": "Formato testo Prometheus"}}}}
        },
        "components": {"schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
            "Contacts": {"type": "object", "properties": {
                "office": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"},
                "hours": {"type": "string"}, "url": {"type": "string"}, "address": {"type": "string"}
            }},
            "Candidate": {"type": "object", "properties": {
                "id": {"type": "string"}, "question": {"type": "string"},
                "score": {"type": "number"}, "confidence": {"type": "number"}
            }},
            "Notice": {"type": "object", "required": ["id", "title", "html", "text", "priority"], "properties": {
                "id": {"type": "string"}, "title": {"type": "string"},
                "html": {"type": "string", "description": "HTML sicuro"}, "text": {"type": "string", "description": "testo per chat"},
                "priority": {"type": "string", "enum": ["normal", "high"]}, "until": {"type": "string"}
            }},
            "Reply": {
                "type": "object",
                "required": ["kind", "agency", "ids", "confidence"],
                "properties": {
                    "kind": {"type": "string", "enum": ["answer", "clarify", "decline", "small_talk"]},
                    "agency": {"type": "string"},
                    "ids": {"type": "array", "items": {"type": "string"}, "description": "Voci proposte, la migliore per prima"},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "id": {"type": "string", "description": "answer"},
                    "question": {"type": "string", "description": "answer"},
                    "answer": {"type": "string", "description": "answer: Markdown"},
                    "answer_html": {"type": "string", "description": "answer: HTML sicuro"},
                    "answer_text": {"type": "string", "description": "answer: testo breve per chat"},
                    "source": {"type": "string"},
                    "related": {"type": "array", "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}]}},
                    "why": {"type": "object", "description": "answer: perché è stata scelta (per i redattori)"},
                    "message": {"type": "string", "description": "clarify, decline, small_talk"},
                    "options": {"type": "array", "items": {"$ref": "#/components/schemas/Candidate"}, "description": "clarify"},
                    "reason": {"type": "string", "enum": ["empty", "no_match", "low_confidence", "other_office"], "description": "decline"},
                    "contacts": {"$ref": "#/components/schemas/Contacts"},
                    "candidates": {"type": "array", "items": {"$ref": "#/components/schemas/Candidate"}, "description": "decline: per i redattori, mai da mostrare come risposta"},
                    "intent": {"type": "string", "description": "small_talk"},
                    "reviewed": {"type": "string", "description": "answer: data dell'ultimo controllo, AAAA-MM-GG"},
                    "notices": {"type": "array", "items": {"$ref": "#/components/schemas/Notice"}, "description": "answer, clarify, decline: avvisi validi da mostrare prima della risposta"}
                }
            }
        }}
    })
}

/// The two routes of a Meta webhook: the verification handshake and the signed events.
fn meta_webhook(platform: &str, agency: &Value, error: &Value) -> Value {
    let not_found = json!({"description": "Ente inesistente o canale non attivo", "content": {"application/json": {"schema": error}}});
    json!({
        "get": {
            "summary": format!("Verifica del webhook di {platform} (hub.challenge)"),
            "parameters": [
                agency,
                {"name": "hub.mode", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "hub.verify_token", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "hub.challenge", "in": "query", "required": false, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {"description": "hub.challenge, se il token di verifica è giusto"},
                "400": {"description": "Parametri non validi"},
                "403": {"description": "Token di verifica errato"},
                "404": not_found.clone()
            }
        },
        "post": {
            "summary": format!("Eventi di {platform} (firmati con X-Hub-Signature-256)"),
            "parameters": [agency, {"name": "X-Hub-Signature-256", "in": "header", "required": false, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {
                "200": {"description": "Ricevuto"},
                "401": {"description": "Firma mancante o errata"},
                "404": not_found,
                "408": {"description": "Richiesta troppo lenta"},
                "413": {"description": "Corpo troppo grande"}
            }
        }
    })
}
