package dev.sluice.sidecar.redis;

import dev.sluice.sidecar.limit.LimitSpec;
import dev.sluice.sidecar.limit.SharedRuleSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names the Redis key of one compound key of one Global rule:
 * {@code <prefix>:{<namespace>/<policy>/<rule>:<fingerprint>:<tier>:<key>}}. The braces are a Cluster
 * hash tag around the whole identity: all limits of a key live in one hash, in one slot, and distinct
 * clients spread over the cluster. The fingerprint digests how the key is counted (the storage format,
 * the algorithm, the tier's limits), so a policy change starts its keys afresh and the old ones expire.
 */
final class RedisKeys {
    private RedisKeys() {
    }

    /** The part of every key of one tier before the compound key itself. */
    static String tierPrefix(String prefix, SharedRuleSpec rule, int tier, String format) {
        String owner = (rule.namespace() == null || rule.namespace().isEmpty() ? "" : rule.namespace() + "/") + rule.policy() + "/" + rule.rule();
        return prefix + ":{" + owner + ":" + fingerprint(rule, tier, format) + ":" + rule.tierNames()[tier] + ":";
    }

    static byte[] key(String tierPrefix, String compoundKey) {
        // The compound key's first character is its tier index, already in the prefix.
        return (tierPrefix + compoundKey.substring(1) + "}").getBytes(StandardCharsets.UTF_8);
    }

    static String fingerprint(SharedRuleSpec rule, int tier, String format) {
        StringBuilder text = new StringBuilder(format).append('|').append(rule.algorithm()).append('|').append(rule.zone());
        for (LimitSpec spec : rule.specs()[tier]) {
            text.append('|').append(spec.requests()).append('/').append(spec.period()).append('/').append(spec.capacity());
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
