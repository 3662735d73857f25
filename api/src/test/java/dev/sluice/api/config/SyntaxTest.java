package dev.sluice.api.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SyntaxTest {
    /** 253 characters: the longest DNS subdomain a label key's prefix may be. */
    private static final String LONGEST_PREFIX = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);

    @ParameterizedTest
    @ValueSource(strings = {"app", "A", "app.kubernetes.io/name", "example.com/A_b.c-9", "a-b.c/x", "x/" + "n23456789012345678901234567890123456789012345678901234567890123"})
    void labelKeysKubernetesAccepts(String key) {
        assertThat(Syntax.isLabelKey(key)).isTrue();
        assertThat(key).matches(Syntax.LABEL_KEY_PATTERN);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // The document's validator took these prefixes (dots anywhere inside) while the CRD schema refused them.
            "example..com/app", "example.-com/app", "example-.com/app",
            "", "/app", "example.com/", "a/b/c", "Example.com/app", "-example.com/app", "example.com/-app", "example.com/app_",
            "bad key!", "n234567890123456789012345678901234567890123456789012345678901234"})
    void labelKeysKubernetesRefuses(String key) {
        assertThat(Syntax.isLabelKey(key)).isFalse();
        assertThat(key).doesNotMatch(Syntax.LABEL_KEY_PATTERN);
    }

    @ParameterizedTest
    @ValueSource(ints = {252, 253})
    void aPrefixOfUpTo253CharactersIsAccepted(int length) {
        assertThat(Syntax.isLabelKey(LONGEST_PREFIX.substring(253 - length) + "/run")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"e", "ee"})
    void aLongerPrefixIsRefusedThoughThePatternCannotSaySo(String more) {
        String key = more + LONGEST_PREFIX + "/run";

        assertThat(key).matches(Syntax.LABEL_KEY_PATTERN);
        assertThat(Syntax.isLabelKey(key)).isFalse();
    }
}
