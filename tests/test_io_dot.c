/* export_to_dot: the DOT text of a small graph and of a long chain. */
#include "io_test_util.h"

static int count(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

TEST(small_graph) {
    mx_array *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(mx_arange(&a, 0, 6, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_exp(&b, a, NULL));
    CHECK_OK(mx_add(&c, a, b, NULL));
    mx_array *outs[2] = {c, b};
    const char *names[2] = {"sum \"out\"", "exp"};
    CHECK_OK(mx_export_to_dot(io_tmp("g.dot"), outs, names, 2));
    size_t n = 0;
    char *text = (char *)io_read_file(io_tmp("g.dot"), &n);
    CHECK(text != NULL);
    if (!text) return;
    text[n] = '\0';
    CHECK(!strncmp(text, "digraph {", 9) && text[n - 2] == '}');
    CHECK(count(text, "label=\"Add\"") == 1 && count(text, "label=\"Exp\"") == 1);
    CHECK(count(text, "label=\"Arange") == 1);
    CHECK(count(text, "sum \\\"out\\\"") == 1);
    /* arange -> a; a -> exp -> b; a, b -> add -> c */
    CHECK(count(text, " -> ") == 6);
    CHECK(count(text, "(6,) float32") == 1); /* a, the only unnamed array */
    free(text);
    /* Evaluated arrays are leaves. */
    CHECK_OK(mx_eval(&c, 1));
    CHECK_OK(mx_export_to_dot(io_tmp("g.dot"), &c, NULL, 1));
    text = (char *)io_read_file(io_tmp("g.dot"), &n);
    text[n] = '\0';
    CHECK(count(text, " -> ") == 0 && count(text, "shape=ellipse") == 1);
    free(text);
    CHECK_ERR(mx_export_to_dot(io_tmp("g.dot"), NULL, NULL, 1), MX_ERR_VALUE);
    mx_array *null_out = NULL;
    CHECK_ERR(mx_export_to_dot(io_tmp("g.dot"), &null_out, NULL, 1), MX_ERR_VALUE);
    CHECK_ERR(mx_export_to_dot("/nonexistent_dir/g.dot", &c, NULL, 1), MX_ERR_RUNTIME);
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
}

TEST(long_chain) {
    mx_array *x = NULL, *one = test_scalar_f32(1);
    CHECK_OK(mx_zeros(&x, (int32_t[]){4}, 1, MX_FLOAT32, NULL));
    for (int i = 0; i < 20000; i++) CHECK_OK(mx_add(&x, x, one, NULL));
    CHECK_OK(mx_export_to_dot(io_tmp("chain.dot"), &x, NULL, 1));
    size_t n = 0;
    char *text = (char *)io_read_file(io_tmp("chain.dot"), &n);
    text[n] = '\0';
    CHECK(count(text, "label=\"Add\"") == 20000);
    free(text);
    mx_array_free(x);
    mx_array_free(one);
}

int main(void) {
    RUN(small_graph);
    RUN(long_chain);
    io_cleanup();
    return TEST_SUMMARY();
}
