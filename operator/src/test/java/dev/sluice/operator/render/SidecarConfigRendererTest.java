package dev.sluice.operator.render;

import static dev.sluice.operator.Resources.policy;
import static dev.sluice.operator.Resources.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.sluice.api.config.ConfigLoader;
import dev.sluice.api.config.ConfigValidator;
import dev.sluice.api.config.LimitConfig;
import dev.sluice.api.config.Mode;
import dev.sluice.api.config.PolicyConfig;
import dev.sluice.api.config.RedisConfig;
import dev.sluice.api.config.Scope;
import dev.sluice.api.config.RenderedResource;
import dev.sluice.api.config.SidecarConfig;
import dev.sluice.api.v1alpha1.CircuitBreaker;
import dev.sluice.operator.Pods;
import dev.sluice.operator.Resources;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import dev.sluice.api.v1alpha1.RateLimitPolicy;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SidecarConfigRendererTest {
    private static final String NS = "shop";

    @Test
    void rendersEveryValidPolicyOfTheNamespaceSortedByNameAtGenerationOne() throws Exception {
        RateLimitPolicy checkout = policy(NS, "checkout").rule(rule("orders", 5, "1s")).selecting("app", "checkout").build();
        RateLimitPolicy api = policy(NS, "api").rule(rule("global", 100, "1s")).mode(Mode.Shadow).build();

        RenderedPolicies rendered = Renderings.render(NS, List.of(checkout, api), Optional.empty(), List.of("10.0.0.0/8"));

        SidecarConfig document = rendered.document();
        assertThat(rendered.changed()).isTrue();
        assertThat(document.generation()).isEqualTo(1L);
        assertThat(document.trustedProxies()).containsExactly("10.0.0.0/8");
        assertThat(document.policies()).extracting(PolicyConfig::qualifiedName).containsExactly("shop/api", "shop/checkout");
        assertThat(document.policies().get(0).mode()).isEqualTo(Mode.Shadow);
        assertThat(document.policies().get(1).podSelector().matchLabels()).containsEntry("app", "checkout");
        assertThat(document.policies().get(1).rules()).isEqualTo(checkout.getSpec().rules());
        assertThat(ConfigValidator.validate(document)).isEmpty();
    }

    @Test
    void globalPoliciesCarryTheRedisAndTheirReplicaCount() throws Exception {
        RateLimitPolicy shared = policy(NS, "shared").rule(rule("global", 300, "1s")).scope(Scope.Global).selecting("app", "web").build();
        RateLimitPolicy local = policy(NS, "local").rule(rule("per-pod", 10, "1s")).build();
        RedisConfig redis = RedisConfig.standalone("redis.shop:6379");

        SidecarConfig document = SidecarConfigRenderer.render(NS, List.of(shared, local), List.of(), Optional.empty(),
                new SidecarConfigRenderer.DocumentDefaults(List.of(), redis), Map.of("shared", 3, "local", 3)).document();

        assertThat(document.redis()).isEqualTo(redis);
        assertThat(document.policies()).extracting(PolicyConfig::name, PolicyConfig::replicas)
                .containsExactly(tuple("local", null), tuple("shared", 3));
        assertThat(ConfigValidator.validate(document)).isEmpty();
        assertThat(ConfigLoader.parse(ConfigLoader.toYaml(document))).isEqualTo(document);

        SidecarConfig noPods = SidecarConfigRenderer.render(NS, List.of(shared), List.of(), Optional.empty(),
                new SidecarConfigRenderer.DocumentDefaults(List.of(), redis), Map.of("shared", 0)).document();
        assertThat(noPods.policies().get(0).replicas()).as("a share of the limit for at least one pod").isEqualTo(1);
    }

    @Test
    void theDocumentCarriesItsVersionAndEachResourceAtTheGenerationItsEntryCameFrom() throws Exception {
        RateLimitPolicy api = policy(NS, "api").rule(rule("global", 100, "1s")).build();
        api.getMetadata().setGeneration(4L);
        RateLimitPolicy admin = policy(NS, "admin").rule(rule("global", 10, "1s")).build();
        CircuitBreaker backend = Resources.breaker(NS, "backend", Resources.inboundBreaker());
        backend.getMetadata().setGeneration(2L);
        SidecarConfig first = ConfigLoader.parseUnvalidated(ConfigLoader.toYaml(
                Renderings.render(NS, List.of(api, admin), List.of(backend), Optional.empty(), List.of()).document()));

        assertThat(first.version()).isEqualTo(SidecarConfig.DOCUMENT_VERSION);
        assertThat(first.resources()).as("sorted by kind, then name").containsExactly(
                new RenderedResource("CircuitBreaker", "backend", 2L),
                new RenderedResource("RateLimitPolicy", "admin", 1L),
                new RenderedResource("RateLimitPolicy", "api", 4L));

        RateLimitPolicy broken = policy(NS, "api").rule(rule("global", 100, "1 second")).build();
        broken.getMetadata().setGeneration(5L);
        RenderedPolicies kept = Renderings.render(NS, List.of(broken, admin), List.of(backend), Optional.of(first), List.of());
        assertThat(kept.document().resources()).as("a kept entry keeps the generation of its last valid version")
                .contains(new RenderedResource("RateLimitPolicy", "api", 4L));
        assertThat(kept.changed()).isFalse();

        RenderedPolicies withheld = Renderings.render(NS, List.of(policy(NS, "new").rule(rule("global", 0, "1s")).build()), List.of(),
                Optional.empty(), List.of());
        assertThat(withheld.document().resources()).as("nothing of a withheld resource is in the document").isEmpty();
    }

    @Test
    void aGlobalPolicysReplicaCountMovesTheDocumentButNoResourcesGeneration() throws Exception {
        RateLimitPolicy shared = policy(NS, "shared").rule(rule("global", 300, "1s")).scope(Scope.Global).build();
        RedisConfig redis = RedisConfig.standalone("redis.shop:6379");
        SidecarConfig three = SidecarConfigRenderer.render(NS, List.of(shared), List.of(), Optional.empty(),
                new SidecarConfigRenderer.DocumentDefaults(List.of(), redis), Map.of("shared", 3)).document();

        RenderedPolicies four = SidecarConfigRenderer.render(NS, List.of(shared), List.of(), Optional.of(three),
                new SidecarConfigRenderer.DocumentDefaults(List.of(), redis), Map.of("shared", 4));

        assertThat(four.changed()).isTrue();
        assertThat(four.document().generation()).isEqualTo(2L);
        assertThat(four.document().resources()).isEqualTo(three.resources());
    }

    @Test
    void aGlobalPolicysShareCountsTheSelectedPodsWhoseSidecarIsReady() {
        RateLimitPolicy shared = policy(NS, "shared").rule(rule("global", 300, "1s")).scope(Scope.Global).selecting("app", "web").build();
        Instant since = Instant.parse("2026-11-28T03:00:00Z");
        List<Pod> pods = List.of(
                Pods.pod(NS, "ready-native").injected().ready(since).build(),
                Pods.pod(NS, "ready-regular").withSidecarContainer().ready(since).build(),
                Pods.pod(NS, "surge-not-ready").injected().build(),
                Pods.pod(NS, "no-sidecar").build(),
                Pods.pod(NS, "other-app").labelled("app", "db").injected().ready(since).build(),
                Pods.pod(NS, "leaving").injected().ready(since).deleting().build());

        assertThat(NamespaceConfigWriter.globalReplicas(List.of(shared), pods)).containsExactly(Map.entry("shared", 2));
    }

    @Test
    void keepsTheGenerationWhenNothingChangedAndRaisesItWhenSomethingDid() throws Exception {
        RateLimitPolicy api = policy(NS, "api").rule(rule("global", 100, "1s")).build();
        SidecarConfig first = Renderings.render(NS, List.of(api), Optional.empty(), List.of()).document();
        SidecarConfig reread = ConfigLoader.parseUnvalidated(ConfigLoader.toYaml(first));

        RenderedPolicies same = Renderings.render(NS, List.of(api), Optional.of(reread), List.of());
        RateLimitPolicy stricter = policy(NS, "api").rule(rule("global", 50, "1s")).build();
        RenderedPolicies changed = Renderings.render(NS, List.of(stricter), Optional.of(reread), List.of());

        assertThat(same.changed()).isFalse();
        assertThat(same.document()).isEqualTo(reread);
        assertThat(changed.changed()).isTrue();
        assertThat(changed.document().generation()).isEqualTo(2L);
        assertThat(changed.document().policies().get(0).rules().get(0).limits()).containsExactly(LimitConfig.of(50, "1s"));
    }

    @Test
    void anInvalidPolicyKeepsItsLastValidVersion() throws Exception {
        RateLimitPolicy valid = policy(NS, "api").rule(rule("global", 100, "1s")).build();
        SidecarConfig previous = ConfigLoader.parseUnvalidated(ConfigLoader.toYaml(
                Renderings.render(NS, List.of(valid), Optional.empty(), List.of()).document()));
        RateLimitPolicy broken = policy(NS, "api").rule(rule("global", 100, "1 second")).build();

        RenderedPolicies rendered = Renderings.render(NS, List.of(broken), Optional.of(previous), List.of());

        assertThat(rendered.keptPrevious()).containsExactly("api");
        assertThat(rendered.changed()).isFalse();
        assertThat(rendered.document().policies()).containsExactlyElementsOf(previous.policies());
    }

    @Test
    void anInvalidPolicyWithoutPreviousVersionIsWithheld() throws Exception {
        RateLimitPolicy broken = policy(NS, "broken").rule(rule("global", 0, "1s")).build();
        RateLimitPolicy valid = policy(NS, "api").rule(rule("global", 100, "1s")).build();

        RenderedPolicies rendered = Renderings.render(NS, List.of(broken, valid), Optional.empty(), List.of());

        assertThat(rendered.withheld()).containsExactly("broken");
        assertThat(rendered.document().policies()).extracting(PolicyConfig::name).containsExactly("api");
    }

    @Test
    void aDeletedPolicyLeavesTheDocument() throws Exception {
        RateLimitPolicy api = policy(NS, "api").rule(rule("global", 100, "1s")).build();
        RateLimitPolicy admin = policy(NS, "admin").rule(rule("global", 10, "1s")).build();
        SidecarConfig both = Renderings.render(NS, List.of(api, admin), Optional.empty(), List.of()).document();

        RenderedPolicies rendered = Renderings.render(NS, List.of(api), Optional.of(both), List.of());

        assertThat(rendered.document().policies()).extracting(PolicyConfig::name).containsExactly("api");
        assertThat(rendered.document().generation()).isEqualTo(2L);
    }

    @Test
    void theConfigMapCarriesTheDocumentItsLabelsAndOwners() throws Exception {
        RateLimitPolicy api = policy(NS, "api").rule(rule("global", 100, "1s")).build();
        api.getMetadata().setUid("uid-1");
        SidecarConfig document = Renderings.render(NS, List.of(api), Optional.empty(), List.of()).document();

        var configMap = SidecarConfigMap.desired(NS, document, List.of(api));

        assertThat(configMap.getMetadata().getName()).isEqualTo("sluice-config");
        assertThat(configMap.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "sluice");
        assertThat(configMap.getMetadata().getAnnotations()).containsEntry("sluice.dev/generation", "1");
        assertThat(configMap.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(owner -> assertThat(owner.getKind()).isEqualTo("RateLimitPolicy"));
        assertThat(SidecarConfigMap.document(configMap)).contains(ConfigLoader.parseUnvalidated(ConfigLoader.toYaml(document)));
        assertThat(SidecarConfigMap.upToDate(configMap, SidecarConfigMap.desired(NS, document, List.of(api)))).isTrue();
    }
}
