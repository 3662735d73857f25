package dev.sluice.operator;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Helpers for operator tests against the Fabric8 mock API server in CRUD mode. */
public final class MockCluster {
    private static final List<String> CRDS = List.of(
            "META-INF/fabric8/ratelimitpolicies.sluice.dev-v1.yml",
            "META-INF/fabric8/circuitbreakers.sluice.dev-v1.yml");

    private MockCluster() {
    }

    /** Registers the generated CRDs, so that the mock server keeps status apart and bumps generation on spec changes. */
    public static void registerCrds(KubernetesClient client) {
        for (String crd : CRDS) {
            try (InputStream yaml = MockCluster.class.getClassLoader().getResourceAsStream(crd)) {
                if (yaml == null) {
                    throw new IllegalStateException(crd + " is not on the classpath: build the api module first");
                }
                CustomResourceDefinition definition = client.apiextensions().v1().customResourceDefinitions().load(yaml).item();
                client.resource(definition).create();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public static void createPod(KubernetesClient client, String namespace, String name, String app) {
        client.resource(new PodBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).addToLabels("app", app).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("example/app").endContainer().endSpec()
                .withNewStatus().withPhase("Running").endStatus()
                .build()).create();
    }

    public static List<Event> events(KubernetesClient client, String namespace, String involvedName, String reason) {
        return client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(event -> involvedName.equals(event.getInvolvedObject().getName()) && reason.equals(event.getReason()))
                .toList();
    }
}
