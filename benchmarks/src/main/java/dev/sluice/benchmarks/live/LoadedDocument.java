package dev.sluice.benchmarks.live;

import dev.sluice.api.config.BreakerConfig;
import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.InvalidConfigException;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.RenderedResource;
import dev.sluice.api.config.RuleConfig;
import dev.sluice.api.config.SidecarConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a simulated sidecar reports of one document text: read once per distinct text and shared by every pod that
 * received it (the 1,000 sidecars of a namespace receive the same text; parsing it 1,000 times in one process would
 * measure the simulator, not the watch). {@code error} is set instead of the rest when the sidecar would refuse it.
 *
 * @param generation the document's {@code generation}; null when it has none or was refused before parsing that far
 */
record LoadedDocument(Long generation, int version, List<Map<String, Object>> resources, List<Map<String, Object>> rules,
                      List<Map<String, Object>> breakers, String error) {

    static LoadedDocument read(String text) {
        SidecarConfig document;
        try {
            document = ConfigLoader.parse(text);
        } catch (InvalidConfigException e) {
            return new LoadedDocument(null, 0, List.of(), List.of(), List.of(), e.getMessage());
        }
        List<Map<String, Object>> resources = new ArrayList<>();
        for (RenderedResource resource : document.resources()) {
            resources.add(ordered("kind", resource.kind(), "name", resource.name(), "generation", resource.generation()));
        }
        // No traffic reaches a simulated sidecar: every rule it enforces is reported with zero counts, as a fresh sidecar's would be.
        List<Map<String, Object>> rules = new ArrayList<>();
        for (PolicyConfig policy : document.policies()) {
            for (RuleConfig rule : policy.rules()) {
                Map<String, Object> counts = ordered("policy", policy.name(), "rule", rule.name(), "mode", policy.mode().name());
                counts.putAll(ordered("requests", 0, "rejected", 0, "shadowRejected", 0));
                counts.put("fallbacks", 0);
                rules.add(counts);
            }
        }
        List<Map<String, Object>> breakers = new ArrayList<>();
        for (BreakerConfig breaker : document.breakers()) {
            breakers.add(ordered("breaker", breaker.name(), "state", "closed", "since", null));
        }
        return new LoadedDocument(document.generation(), document.effectiveVersion(), List.copyOf(resources), List.copyOf(rules),
                List.copyOf(breakers), null);
    }

    boolean refused() {
        return error != null;
    }

    private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2, String k3, Object v3) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put(k1, v1);
        map.put(k2, v2);
        map.put(k3, v3);
        return map;
    }
}
