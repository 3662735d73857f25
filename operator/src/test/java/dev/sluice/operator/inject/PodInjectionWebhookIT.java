package dev.sluice.operator.inject;

import static dev.sluice.operator.inject.PodFixtures.app;
import static dev.sluice.operator.inject.PodFixtures.httpApp;
import static dev.sluice.operator.inject.PodFixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.inject.InjectionNames;
import dev.sluice.operator.MockCluster;
import dev.sluice.operator.OperatorSettings;
import dev.sluice.operator.SluiceOperator;
import dev.sluice.operator.webhook.TrustingCa;
import dev.sluice.operator.webhook.WebhookSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator with injection on, against the mock API server: the test plays the API server's part, sends
 * each pod creation to {@code /pods/inject} over HTTPS (trusting the CA the operator wrote into the webhook
 * configurations), applies the JSON Patch it answers and stores the pod. The namespaces' modes come from
 * their labels, read by the operator's informer.
 */
@EnableKubernetesMockClient(crud = true)
class PodInjectionWebhookIT {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String IMAGE = "registry.example/sluice-sidecar:1.0";
    private static final ObjectMapper JSON = new ObjectMapper();
    static KubernetesClient client;
    private static SluiceOperator operator;
    private static HttpClient https;
    private static String system;

    @BeforeAll
    static void startTheOperatorWithInjection() throws Exception {
        MockCluster.registerCrds(client);
        try (InputStream yaml = PodInjectionWebhookIT.class.getClassLoader().getResourceAsStream("META-INF/fabric8/jobquotas.sluice.dev-v1.yml")) {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(yaml).item();
            client.resource(crd).create();
        }
        system = client.getNamespace();
        namespace(system, null);
        namespace("kube-system", null);
        namespace("shop", InjectionNames.NAMESPACE_ENABLED);
        namespace("locked", InjectionNames.NAMESPACE_REQUIRED);
        namespace("plain", null);
        for (String name : List.of("sluice-jobs", "sluice-pods")) {
            client.resource(new MutatingWebhookConfigurationBuilder().withNewMetadata().withName(name).endMetadata()
                    .addNewWebhook().withName(name + ".sluice.dev").withNewClientConfig().withNewService().withNamespace(system)
                    .withName("sluice-operator-webhook").withPath("/" + name).endService().endClientConfig().endWebhook().build()).create();
        }
        client.resource(new ValidatingWebhookConfigurationBuilder().withNewMetadata().withName("sluice-job-updates").endMetadata()
                .addNewWebhook().withName("job-updates.sluice.dev").withNewClientConfig().withNewService().withNamespace(system)
                .withName("sluice-operator-webhook").withPath("/jobs/validate").endService().endClientConfig().endWebhook().build()).create();

        OperatorSettings settings = new OperatorSettings(Set.of(), 0, false, OperatorSettings.DEFAULT_LEASE_NAME, null, List.of(),
                OperatorSettings.DEFAULT_LOG_LEVEL, false, false,
                WebhookSettings.loopback(system + "/sluice-webhook-tls", List.of("sluice-jobs", "sluice-job-updates", "sluice-pods")), null,
                InjectionSettings.enabled(IMAGE));
        operator = SluiceOperator.start(client, settings, Clock.systemUTC());
        await().atMost(PATIENCE).until(() -> ready() == 200);
        String caPem = new String(Base64.getDecoder().decode(client.admissionRegistration().v1().mutatingWebhookConfigurations()
                .withName("sluice-pods").get().getWebhooks().get(0).getClientConfig().getCaBundle()), StandardCharsets.UTF_8);
        https = HttpClient.newBuilder().sslContext(TrustingCa.of(caPem)).build();
    }

    @AfterAll
    static void stop() {
        if (operator != null) {
            operator.close();
        }
    }

    private static void namespace(String name, String mode) {
        client.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        if (mode != null) {
            label(name, mode);
        }
    }

    private static void label(String name, String mode) {
        client.namespaces().withName(name).edit(namespace -> new NamespaceBuilder(namespace).editMetadata()
                .addToLabels(InjectionNames.LABEL, mode).endMetadata().build());
    }

    /** The API server's part: the webhook's answer, and the pod as stored (as it would be, for a dry run; null when refused). */
    private record Admitted(JsonNode answer, Pod stored) {
    }

    private static Admitted create(String namespace, Pod pod, boolean dryRun) throws Exception {
        pod.getMetadata().setNamespace(null);
        pod.getMetadata().setGenerateName(null);
        pod.getMetadata().setName("web-" + UUID.randomUUID().toString().substring(0, 8));
        AdmissionReview review = new AdmissionReviewBuilder().withApiVersion("admission.k8s.io/v1").withKind("AdmissionReview")
                .withNewRequest().withUid(UUID.randomUUID().toString()).withOperation("CREATE").withNamespace(namespace)
                .withName(pod.getMetadata().getName()).withNewKind("", "Pod", "v1").withObject(pod).withDryRun(dryRun)
                .withNewUserInfo().withUsername("system:serviceaccount:kube-system:replicaset-controller").endUserInfo().endRequest().build();
        HttpResponse<String> response = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + operator.webhookPort()
                        + PodInjectionWebhook.PATH)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(client.getKubernetesSerialization().asJson(review))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode answer = JSON.readTree(response.body()).path("response");
        if (!answer.path("allowed").asBoolean()) {
            return new Admitted(answer, null);
        }
        JsonNode stored = JSON.readTree(client.getKubernetesSerialization().asJson(pod));
        if (answer.hasNonNull("patch")) {
            assertThat(answer.path("patchType").asText()).isEqualTo("JSONPatch");
            stored = JsonPatch.apply(JSON.readTree(Base64.getDecoder().decode(answer.path("patch").asText())), stored);
        }
        Pod patched = client.getKubernetesSerialization().unmarshal(stored.toString(), Pod.class);
        return new Admitted(answer, dryRun ? patched : client.pods().inNamespace(namespace).resource(patched).create());
    }

    private static boolean hasSidecar(Pod pod) {
        return pod.getSpec().getInitContainers().stream().map(Container::getName).anyMatch(InjectionNames.SIDECAR_CONTAINER::equals);
    }

    @Test
    void aPodInAnEnabledNamespaceIsStoredWithTheSidecarInFrontOfItsPort() throws Exception {
        Admitted admitted = create("shop", pod().container(httpApp()).build(), false);

        Pod stored = client.pods().inNamespace("shop").withName(admitted.stored().getMetadata().getName()).get();
        assertThat(hasSidecar(stored)).isTrue();
        Container sidecar = stored.getSpec().getInitContainers().get(0);
        assertThat(sidecar.getImage()).isEqualTo(IMAGE);
        assertThat(sidecar.getPorts().get(0).getName()).isEqualTo("http");
        assertThat(sidecar.getPorts().get(0).getContainerPort()).isEqualTo(8080);
        assertThat(stored.getSpec().getContainers().get(0).getPorts().get(0).getContainerPort()).isEqualTo(15100);
        assertThat(stored.getMetadata().getAnnotations().get(InjectionNames.INJECTED)).contains("\"number\":8080");
        assertThat(admitted.answer().path("warnings").isMissingNode() || admitted.answer().path("warnings").isEmpty()).isTrue();
    }

    @Test
    void aPodThatCannotBeInjectedIsAdmittedWithTheReasonInItsAnnotationAndAWarning() throws Exception {
        Admitted admitted = create("shop", pod().container(app().addNewPort().withName("http").withContainerPort(8080).endPort()).build(), false);

        assertThat(hasSidecar(admitted.stored())).isFalse();
        String reason = admitted.stored().getMetadata().getAnnotations().get(InjectionNames.SKIPPED);
        assertThat(reason).contains("add the annotation sluice.dev/port-env: PORT");
        assertThat(admitted.answer().path("warnings").get(0).asText()).contains(reason);
    }

    @Test
    void aRequiredNamespaceIgnoresThePodsOptOutAndAnEnabledOneHonoursIt() throws Exception {
        Admitted locked = create("locked", pod().label(InjectionNames.LABEL, "false").container(httpApp()).build(), false);
        assertThat(hasSidecar(locked.stored())).isTrue();
        assertThat(locked.answer().path("warnings").get(0).asText()).contains("not honoured");

        Admitted shop = create("shop", pod().label(InjectionNames.LABEL, "false").container(httpApp()).build(), false);
        assertThat(hasSidecar(shop.stored())).isFalse();
        assertThat(shop.answer().hasNonNull("patch")).isFalse();
    }

    @Test
    void inAnUnlabelledNamespaceOnlyAPodThatOptsInGetsTheSidecar() throws Exception {
        assertThat(hasSidecar(create("plain", pod().label(InjectionNames.LABEL, "true").container(httpApp()).build(), false).stored())).isTrue();
        Admitted plain = create("plain", pod().container(httpApp()).build(), false);
        assertThat(hasSidecar(plain.stored())).isFalse();
        assertThat(plain.answer().hasNonNull("patch")).isFalse();
    }

    @Test
    void theOperatorsNamespaceAndKubeSystemNeverGetTheSidecar() throws Exception {
        for (String namespace : List.of(system, "kube-system")) {
            Admitted admitted = create(namespace, pod().label(InjectionNames.LABEL, "true").container(httpApp()).build(), false);
            assertThat(hasSidecar(admitted.stored())).as(namespace).isFalse();
            assertThat(admitted.stored().getMetadata().getAnnotations().get(InjectionNames.SKIPPED)).contains(namespace);
        }
    }

    @Test
    void aNamespaceLabelledLaterIsSeenWithoutARestart() throws Exception {
        namespace("late", null);
        assertThat(hasSidecar(create("late", pod().container(httpApp()).build(), false).stored())).isFalse();

        label("late", InjectionNames.NAMESPACE_ENABLED);

        await().atMost(PATIENCE).until(() -> hasSidecar(create("late", pod().container(httpApp()).build(), true).stored()));
    }

    @Test
    void aServiceWithAppProtocolH2cInFrontOfThePodMakesTheSidecarCallItsAppOverH2c() throws Exception {
        client.resource(new ServiceBuilder().withNewMetadata().withName("echo").withNamespace("shop").endMetadata().withNewSpec()
                .addToSelector("app", "echo").addNewPort().withName("api").withPort(80).withTargetPort(new IntOrString(8080))
                .withAppProtocol("kubernetes.io/h2c").endPort().endSpec().build()).create();

        Admitted echo = create("shop", pod().label("app", "echo").container(httpApp()).build(), false);
        Admitted other = create("shop", pod().label("app", "shop-front").container(httpApp()).build(), false);

        Container sidecar = echo.stored().getSpec().getInitContainers().get(0);
        assertThat(sidecar.getArgs()).containsSequence("--upstream", "h2c://127.0.0.1:15100");
        JsonNode record = JSON.readTree(echo.stored().getMetadata().getAnnotations().get(InjectionNames.INJECTED));
        assertThat(record.path("appProtocol").asText()).isEqualTo("h2c");
        assertThat(record.path("appProtocolFrom").asText()).isEqualTo("Service echo port api (appProtocol kubernetes.io/h2c)");
        assertThat(other.stored().getSpec().getInitContainers().get(0).getArgs()).as("a pod the Service does not select")
                .containsSequence("--upstream", "http://127.0.0.1:15100");
    }

    @Test
    void aDryRunIsAnsweredTheSameWayAndNotCounted() throws Exception {
        double before = counted("injected");
        Admitted dryRun = create("shop", pod().container(httpApp()).build(), true);

        assertThat(hasSidecar(dryRun.stored())).isTrue();
        assertThat(counted("injected")).isEqualTo(before);
        create("shop", pod().container(httpApp()).build(), false);
        assertThat(counted("injected")).isEqualTo(before + 1);
    }

    @Test
    void injectionsAreCountedOnTheOperatorsMetricsEndpoint() throws Exception {
        create("shop", pod().container(httpApp()).build(), false);
        create("shop", pod().container(app().addNewPort().withName("postgres").withContainerPort(5432).endPort()).build(), false);

        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operator.httpPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();

        assertThat(metrics).containsPattern("sluice_pod_injections_total\\{reason=\"none\",result=\"injected\"\\} [1-9]")
                .containsPattern("sluice_pod_injections_total\\{reason=\"no_http_port\",result=\"skipped\"\\} [1-9]");
    }

    private static double counted(String result) {
        return operator.registry().find("sluice_pod_injections").tag("result", result).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static int ready() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operator.httpPort() + "/readyz")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
