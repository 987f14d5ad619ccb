#!/usr/bin/env bash
# Prints the ablation and threshold tables of docs/quality.md (Markdown rows).
# Usage, from the repository root after `cargo build --release`: bash tests/eval/ablation.sh
set -euo pipefail
S=${SPORTELLO:-${CARGO_TARGET_DIR:-target}/release/sportello}
QA=${QA4FAQ:-../shared/eval/qa4faq}
DEV=tests/eval/comune-di-esempio
metric() { python3 -c "import json,sys; d=json.load(sys.stdin); m=d.get('sportello', d); v=m.get('$1'); print('-' if v is None else f'{v:.3f}')"; }
row() {
    local label="$1"; shift
    local sets=()
    for kv in "$@"; do sets+=(--set "$kv"); done
    local qa dev
    qa=$("$S" eval --kb "$QA/kb.jsonl" --queries "$QA/queries.jsonl" --json "${sets[@]}")
    dev=$("$S" eval --kb knowledge-base/comune-di-esempio --queries "$DEV/in-scope.jsonl" --queries "$DEV/out-of-scope.jsonl" --json "${sets[@]}")
    echo "| $label | $(metric top1 <<<"$qa") | $(metric c_at_1 <<<"$qa") | $(metric mrr10 <<<"$qa") | $(metric recall5 <<<"$qa") | $(metric top1 <<<"$dev") | $(metric mrr10 <<<"$dev") | $(metric decline_rate <<<"$dev") | $(metric false_decline_rate <<<"$dev") |"
}
echo "| configuration (\`--set\`) | QA4FAQ top1 | QA4FAQ c@1 | QA4FAQ MRR@10 | QA4FAQ R@5 | dev top1 | dev MRR@10 | dev decline (out) | dev false decline |"
echo "|---|---|---|---|---|---|---|---|---|"
row "**default**"
row "no coverage re-ranking (\`coverage_rerank=0\`)" coverage_rerank=0
row "no recall re-ranking (\`recall_rerank=0\`)" recall_rerank=0
row "no clause coverage (\`clause_coverage=0\`)" clause_coverage=0
row "no recall floor (\`recall_floor=0\`)" recall_floor=0
row "no typo correction (\`typos=false\`)" typos=false
row "glossary words not known to typo correction (\`glossary_typos=false\`)" glossary_typos=false
row "no synonyms/acronyms (\`synonyms=false\`)" synonyms=false
row "no stemming (\`stemming=false\`)" stemming=false
row "Savoy light stemmer instead of Snowball (\`light_stemmer=true\`)" light_stemmer=true
row "keep stop words (\`stop_words=false\`)" stop_words=false
row "keep question words (\`question_words=true\`)" question_words=true
row "drop \"non\" as a stop word (\`negation=false\`)" negation=false
row "keep greetings/politeness (\`drop_filler=false\`)" drop_filler=false
row "no referrals to other administrations (\`referrals=false\`)" referrals=false
row "no answer text (\`answer_boost=0\`)" answer_boost=0
row "no tags/office (\`tags_boost=0\`)" tags_boost=0
row "add word bigrams (\`bigrams=true\`)" bigrams=true
row "add character 4-grams (\`ngram_weight=0.5\`)" ngram_weight=0.5
echo
echo "| clarify threshold | dev c@1 | dev: out-of-scope declined | dev: in-scope declined (false) | QA4FAQ c@1 | QA4FAQ false decline |"
echo "|---|---|---|---|---|---|"
for t in 0.25 0.30 0.33 0.36 0.40 0.45; do
    qa=$("$S" eval --kb "$QA/kb.jsonl" --queries "$QA/queries.jsonl" --json --set clarify_threshold=$t)
    dev=$("$S" eval --kb knowledge-base/comune-di-esempio --queries "$DEV/in-scope.jsonl" --queries "$DEV/out-of-scope.jsonl" --json --set clarify_threshold=$t)
    echo "| $t | $(metric c_at_1 <<<"$dev") | $(metric decline_rate <<<"$dev") | $(metric false_decline_rate <<<"$dev") | $(metric c_at_1 <<<"$qa") | $(metric false_decline_rate <<<"$qa") |"
done
