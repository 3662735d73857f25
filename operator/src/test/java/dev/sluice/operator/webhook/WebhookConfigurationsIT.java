package dev.sluice.operator.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the API server answers that the CRUD mock cannot: a name that is the other kind, or neither,
 * or may not be read (RBAC names each configuration for its own kind); a patch whose resourceVersion
 * test fails (422, as the API server answers a failed JSON Patch test) says "read it again".
 */
@EnableKubernetesMockClient
class WebhookConfigurationsIT {
    private static final String MUTATING = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/";
    private static final String VALIDATING = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/";
    static KubernetesClient client;
    static KubernetesMockServer server;

    @Test
    void aNameIsLookedUpAsEitherKindAndWhatCannotBeReadIsSaid() {
        server.expect().get().withPath(MUTATING + "sluice-job-updates").andReturn(403, forbidden()).once();
        server.expect().get().withPath(VALIDATING + "sluice-job-updates").andReturn(200, validating("7")).once();
        server.expect().get().withPath(MUTATING + "gone").andReturn(404, null).once();
        server.expect().get().withPath(VALIDATING + "gone").andReturn(404, null).once();
        server.expect().get().withPath(MUTATING + "hidden").andReturn(403, forbidden()).once();
        server.expect().get().withPath(VALIDATING + "hidden").andReturn(403, forbidden()).once();

        WebhookConfigurations.Lookup lookup = new WebhookConfigurations(client, List.of("sluice-job-updates", "gone", "hidden")).read();

        assertThat(lookup.found()).singleElement().satisfies(found -> {
            assertThat(found.kind()).isEqualTo("ValidatingWebhookConfiguration");
            assertThat(found.resourceVersion()).isEqualTo("7");
            assertThat(found.caBundles()).containsExactly("old CA");
        });
        assertThat(lookup.missing()).containsEntry("gone",
                "neither a MutatingWebhookConfiguration nor a ValidatingWebhookConfiguration of that name exists");
        assertThat(lookup.missing()).containsEntry("hidden", "reading it as a MutatingWebhookConfiguration is forbidden;"
                + " reading it as a ValidatingWebhookConfiguration is forbidden");
    }

    @Test
    void onlyTheCaBundleOfEachWebhookIsPatchedOnConditionOfTheResourceVersion() throws Exception {
        server.expect().get().withPath(VALIDATING + "sluice-job-updates").andReturn(200, validating("7")).always();
        server.expect().patch().withPath(VALIDATING + "sluice-job-updates").andReturn(200, validating("8")).once();
        server.expect().patch().withPath(VALIDATING + "sluice-job-updates").andReturn(422, new StatusBuilder().withCode(422)
                .withMessage("the server rejected our request due to an error in our request").build()).once();
        server.expect().patch().withPath(VALIDATING + "sluice-job-updates").andReturn(403, forbidden()).once();
        WebhookConfigurations configurations = new WebhookConfigurations(client, List.of("sluice-job-updates"));
        WebhookConfigurations.Found read = new WebhookConfigurations.Found("ValidatingWebhookConfiguration", "sluice-job-updates", "7",
                Arrays.asList("old CA", null));

        assertThat(configurations.patch(read, "new CA")).isTrue();
        RecordedRequest patch = server.takeRequest();
        while (!"PATCH".equals(patch.getMethod())) {
            patch = server.takeRequest();
        }
        assertThat(patch.getHeader("Content-Type")).startsWith("application/json-patch+json");
        String encoded = Base64.getEncoder().encodeToString("new CA".getBytes(StandardCharsets.UTF_8));
        assertThat(client.getKubernetesSerialization().unmarshal(patch.getUtf8Body(), List.class)).containsExactly(
                Map.of("op", "test", "path", "/metadata/resourceVersion", "value", "7"),
                Map.of("op", "add", "path", "/webhooks/0/clientConfig/caBundle", "value", encoded),
                Map.of("op", "add", "path", "/webhooks/1/clientConfig/caBundle", "value", encoded));

        assertThat(configurations.patch(read, "new CA")).as("changed since it was read").isFalse();
        assertThatThrownBy(() -> configurations.patch(read, "new CA")).isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    }

    private static Object forbidden() {
        return new StatusBuilder().withCode(403).withReason("Forbidden").withMessage("forbidden by RBAC").build();
    }

    private static Object validating(String resourceVersion) {
        return new ValidatingWebhookConfigurationBuilder().withNewMetadata().withName("sluice-job-updates")
                .withResourceVersion(resourceVersion).endMetadata()
                .addNewWebhook().withName("job-updates.sluice.dev").withNewClientConfig()
                .withCaBundle(Base64.getEncoder().encodeToString("old CA".getBytes(StandardCharsets.UTF_8))).endClientConfig().endWebhook()
                .build();
    }
}
