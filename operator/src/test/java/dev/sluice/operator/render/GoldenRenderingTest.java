package dev.sluice.operator.render;

import dev.sluice.api.config.RedisConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.testing.Golden;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import dev.sluice.api.v1alpha1.RateLimitPolicySpec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The ConfigMap the operator renders from {@code examples/}, byte for byte, so that a refactor of the
 * operator is shown not to change what the sidecars receive ({@link Golden}).
 */
class GoldenRenderingTest {
    private static final Path EXAMPLES = Path.of("..", "examples");
    private static final List<String> TRUSTED_PROXIES = List.of("10.0.0.0/8");

    @Test
    void examplesRenderedLocal() throws IOException {
        RateLimitPolicy policy = example("ratelimitpolicy.yaml", RateLimitPolicy.class, "uid-policy");
        CircuitBreaker breaker = example("circuitbreaker.yaml", CircuitBreaker.class, "uid-breaker");

        assertGolden("rendered-shop.yaml", List.of(policy), List.of(breaker), null, Map.of());
    }

    @Test
    void examplesRenderedGlobalThroughRedis() throws IOException {
        RateLimitPolicy policy = example("ratelimitpolicy.yaml", RateLimitPolicy.class, "uid-policy");
        RateLimitPolicySpec spec = policy.getSpec();
        policy.setSpec(new RateLimitPolicySpec(spec.podSelector(), spec.mode(), Scope.Global, spec.failureMode(), spec.rules(),
                spec.backpressure()));

        assertGolden("rendered-shop-global.yaml", List.of(policy), List.of(), RedisConfig.standalone("redis.shop:6379"),
                Map.of(policy.getMetadata().getName(), 3));
    }

    private static void assertGolden(String file, List<RateLimitPolicy> policies, List<CircuitBreaker> breakers, RedisConfig redis,
                                     Map<String, Integer> replicas) throws IOException {
        RenderedPolicies rendered = SidecarConfigRenderer.render("shop", policies, breakers, Optional.empty(),
                new SidecarConfigRenderer.DocumentDefaults(TRUSTED_PROXIES, redis), replicas);
        List<HasMetadata> owners = new ArrayList<>(policies);
        owners.addAll(breakers);
        ConfigMap configMap = SidecarConfigMap.desired("shop", rendered.document(), owners);
        // Labels and annotations are maps whose iteration order changes from one JVM to the next.
        configMap.getMetadata().setLabels(new TreeMap<>(configMap.getMetadata().getLabels()));
        configMap.getMetadata().setAnnotations(new TreeMap<>(configMap.getMetadata().getAnnotations()));
        Golden.assertMatches(Golden.ROOT.resolve(file), Serialization.asYaml(configMap));
    }

    private static <T extends HasMetadata> T example(String file, Class<T> kind, String uid) throws IOException {
        try (InputStream yaml = Files.newInputStream(EXAMPLES.resolve(file))) {
            T resource = Serialization.unmarshal(yaml, kind);
            resource.getMetadata().setNamespace("shop");
            resource.getMetadata().setUid(uid);
            resource.getMetadata().setGeneration(1L);
            return resource;
        }
    }
}
