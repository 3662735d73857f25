package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The generated CRDs, applied with kubectl to a real API server, and what {@code kubectl get} shows. */
@ExtendWith(ClusterExtension.class)
class CrdE2E {
    static TestCluster cluster;
    static String namespace;

    @BeforeAll
    static void setUp(TestCluster testCluster) {
        cluster = testCluster;
        namespace = cluster.createNamespace("crds");
    }

    @Test
    void kubectlAppliesTheCrds() {
        Kubectl.Result apply = cluster.crdApply();

        assertThat(apply.exitCode()).as(apply.toString()).isZero();
        assertThat(apply.stdout()).contains(
                "customresourcedefinition.apiextensions.k8s.io/ratelimitpolicies.sluice.dev",
                "customresourcedefinition.apiextensions.k8s.io/circuitbreakers.sluice.dev");
        assertThat(cluster.kubectl().run("api-resources", "--api-group=sluice.dev", "-o", "wide").orThrow().stdout())
                .contains("rlp", "cb", "RateLimitPolicy", "CircuitBreaker", "sluice");
    }

    @Test
    void kubectlGetShowsThePrinterColumns() {
        cluster.kubectl().run("apply", "-n", namespace,
                "-f", TestCluster.path("examples/ratelimitpolicy.yaml").toString(),
                "-f", TestCluster.path("examples/circuitbreaker.yaml").toString()).orThrow();

        String rlp = cluster.kubectl().run("get", "rlp", "-n", namespace).orThrow().stdout();
        String cb = cluster.kubectl().run("get", "cb", "-n", namespace).orThrow().stdout();
        String wide = cluster.kubectl().run("get", "rlp,cb", "-n", namespace, "-o", "wide").orThrow().stdout();
        String sluice = cluster.kubectl().run("get", "sluice", "-n", namespace).orThrow().stdout();

        // In the order a user reads them, AGE last.
        assertThat(columns(rlp)).containsExactly("NAME", "MODE", "SCOPE", "SELECTED", "ENFORCING", "REJECTED", "READY", "AGE");
        assertThat(rlp).containsPattern("shop-api\\s.*Enforce\\s+Local");
        assertThat(columns(cb)).containsExactly("NAME", "TARGET", "SELECTED", "ENFORCING", "OPEN", "READY", "AGE");
        assertThat(cb).containsPattern("payments-api\\s.*Outbound");
        assertThat(header(wide)).contains("REASON");
        assertThat(wide).contains("shop-api", "payments-api", "ROUTE", "payments");
        assertThat(sluice).contains("ratelimitpolicy.sluice.dev/shop-api", "circuitbreaker.sluice.dev/payments-api");
    }

    private static List<String> columns(String table) {
        return List.of(header(table).trim().split("\\s+"));
    }

    private static String header(String table) {
        return table.lines().findFirst().orElse("");
    }
}
