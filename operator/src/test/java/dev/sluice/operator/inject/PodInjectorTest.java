package dev.sluice.operator.inject;

import static dev.sluice.operator.inject.PodFixtures.NS;
import static dev.sluice.operator.inject.PodFixtures.app;
import static dev.sluice.operator.inject.PodFixtures.container;
import static dev.sluice.operator.inject.PodFixtures.httpApp;
import static dev.sluice.operator.inject.PodFixtures.httpGet;
import static dev.sluice.operator.inject.PodFixtures.pod;
import static dev.sluice.operator.inject.PodFixtures.port;
import static dev.sluice.operator.inject.PodFixtures.service;
import static dev.sluice.operator.inject.PodFixtures.servicePort;
import static dev.sluice.operator.inject.PodFixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.api.inject.InjectionNames;
import dev.sluice.operator.inject.PodInjector.Injected;
import dev.sluice.operator.inject.PodInjector.Result;
import dev.sluice.operator.inject.PodInjector.Skipped;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PodInjectorTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";
    private static final String IMAGE = "registry.example/sluice-sidecar:1.0";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ObjectMapper JSON = new ObjectMapper();

    private InjectionSettings settings = InjectionSettings.enabled(IMAGE);

    private Result inject(Pod pod) {
        return inject(pod, NamespaceMode.ENABLED);
    }

    private Result inject(Pod pod, NamespaceMode mode) {
        return new PodInjector(settings, Set.of("sluice-system", "kube-system"), () -> TOKEN).inject(pod, NS, mode, NamespaceServices.none());
    }

    private Result inject(Pod pod, NamespaceServices services) {
        return new PodInjector(settings, Set.of("sluice-system", "kube-system"), () -> TOKEN).inject(pod, NS, NamespaceMode.ENABLED, services);
    }

    /** The sidecar's upstream and the record's appProtocol and appProtocolFrom, of a pod injected beside these Services. */
    private static List<String> protocolOf(Result result) throws Exception {
        assertThat(result).as("%s", result).isInstanceOf(Injected.class);
        List<String> args = sidecar(result.pod()).getArgs();
        JsonNode record = JSON.readTree(((Injected) result).record());
        return List.of(args.get(args.indexOf("--upstream") + 1), record.path("appProtocol").asText(), record.path("appProtocolFrom").asText());
    }

    private List<String> protocolOf(Pod pod, Service... services) throws Exception {
        return protocolOf(inject(pod, namespace -> {
            assertThat(namespace).isEqualTo(NS);
            return List.of(services);
        }));
    }

    /** Services the injector must not need. */
    private static final NamespaceServices UNREADABLE = namespace -> {
        throw new KubernetesClientException("services is forbidden: User \"system:serviceaccount:sluice-system:sluice-operator\" cannot list resource");
    };

    private Injected injected(Pod pod) {
        Result result = inject(pod);
        assertThat(result).as("%s", result).isInstanceOf(Injected.class);
        return (Injected) result;
    }

    private Skipped skipped(Pod pod, SkipReason reason) {
        Result result = inject(pod);
        assertThat(result).as("%s", result).isInstanceOf(Skipped.class);
        Skipped skipped = (Skipped) result;
        assertThat(skipped.reason()).isEqualTo(reason);
        return skipped;
    }

    private static Container sidecar(Pod pod) {
        return pod.getSpec().getInitContainers().stream().filter(c -> c.getName().equals(InjectionNames.SIDECAR_CONTAINER)).findFirst().orElseThrow();
    }

    private static Container containerOf(Pod pod, String name) {
        return pod.getSpec().getContainers().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    private static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
    }

    private static ContainerPort portNamed(Container container, String name) {
        return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst().orElse(null);
    }

    @Test
    void theSidecarTakesTheHttpPortWithItsNameAndNumberAndTheAppMovesToAFreePortItLearnsThroughPort() throws Exception {
        Pod original = pod().container(httpApp()).build();

        Injected result = injected(original);
        Pod pod = result.pod();

        Container sidecar = sidecar(pod);
        assertThat(sidecar.getRestartPolicy()).isEqualTo("Always");
        assertThat(sidecar.getImage()).isEqualTo(IMAGE);
        assertThat(sidecar.getImagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(sidecar.getArgs()).containsExactly("--config", "/etc/sluice/sidecar.yaml", "--config-optional", "--pod-labels",
                "/etc/podinfo/labels", "--upstream", "http://127.0.0.1:15100", "--port", "8080", "--admin-port", "15021",
                "--reload-interval", "1s");
        assertThat(sidecar.getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("http", 8080), org.assertj.core.groups.Tuple.tuple("sluice-admin", 15021));
        assertThat(env(sidecar, InjectionNames.ENV_DRAIN_TOKEN)).isEqualTo(TOKEN);
        assertThat(sidecar.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(sidecar.getStartupProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
        assertThat(sidecar.getStartupProbe().getPeriodSeconds()).isEqualTo(1);
        assertThat(sidecar.getStartupProbe().getFailureThreshold()).isEqualTo(120);
        assertThat(sidecar.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(sidecar.getReadinessProbe().getPeriodSeconds()).isEqualTo(1);
        assertThat(sidecar.getReadinessProbe().getFailureThreshold()).as("not ready within 2 s of a drain's start").isEqualTo(2);
        assertThat(sidecar.getLivenessProbe()).isNull();
        assertThat(sidecar.getResources()).isEqualTo(InjectionSettings.DEFAULT_RESOURCES);

        Container app = containerOf(pod, "app");
        assertThat(app.getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("app-http", 15100));
        assertThat(env(app, "PORT")).isEqualTo("15100");
        assertThat(app.getEnv()).filteredOn(e -> e.getName().equals("PORT")).hasSize(1);

        assertThat(pod.getSpec().getVolumes()).extracting(Volume::getName).containsExactly("sluice-config", "sluice-podinfo", "sluice-tmp", "sluice-api");
        Volume config = pod.getSpec().getVolumes().get(0);
        assertThat(config.getConfigMap().getName()).isEqualTo("sluice-config");
        assertThat(config.getConfigMap().getOptional()).isTrue();
        assertThat(pod.getSpec().getVolumes().get(1).getDownwardAPI().getItems().get(0).getFieldRef().getFieldPath()).isEqualTo("metadata.labels");
        assertThat(sidecar.getVolumeMounts()).extracting(m -> m.getName() + ":" + m.getMountPath())
                .containsExactly("sluice-config:/etc/sluice", "sluice-podinfo:/etc/podinfo", "sluice-tmp:/tmp", "sluice-api:/var/run/secrets/sluice");

        JsonNode record = JSON.readTree(pod.getMetadata().getAnnotations().get(InjectionNames.INJECTED));
        assertThat(record.path("version").asInt()).isEqualTo(1);
        assertThat(record.path("image").asText()).isEqualTo(IMAGE);
        assertThat(record.path("port").asText()).isEqualTo("http");
        assertThat(record.path("number").asInt()).isEqualTo(8080);
        assertThat(record.path("appPort").asInt()).isEqualTo(15100);
        assertThat(record.path("admin").asInt()).isEqualTo(15021);
        assertThat(record.path("portEnv").asText()).isEqualTo("PORT");
        assertThat(record.path("appProtocol").asText()).isEqualTo("http");
        assertThat(record.path("appProtocolFrom").asText()).isEqualTo("default");
        assertThat(record.has("warnings")).isFalse();
        assertThat(result.record()).isEqualTo(pod.getMetadata().getAnnotations().get(InjectionNames.INJECTED));
        assertThat(result.warnings()).isEmpty();
        assertThat(original.getSpec().getInitContainers()).as("the original is left alone").isNullOrEmpty();
    }

    @Test
    void theInjectedSidecarMeetsTheRestrictedPodSecurityProfile() {
        SecurityContext context = sidecar(injected(pod().container(httpApp()).build()).pod()).getSecurityContext();

        assertThat(context.getRunAsNonRoot()).isTrue();
        assertThat(context.getRunAsUser()).isEqualTo(65532L);
        assertThat(context.getRunAsGroup()).isEqualTo(65532L);
        assertThat(context.getAllowPrivilegeEscalation()).isFalse();
        assertThat(context.getReadOnlyRootFilesystem()).isTrue();
        assertThat(context.getPrivileged()).isNull();
        assertThat(context.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(context.getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(context.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    }

    @Test
    void thePodsOwnInitContainersStayAndRunBeforeTheSidecar() {
        Pod pod = injected(pod().initContainer(container("migrate")).initContainer(container("warm")).container(httpApp()).build()).pod();

        assertThat(pod.getSpec().getInitContainers()).extracting(Container::getName).containsExactly("migrate", "warm", "sluice-sidecar");
    }

    @Test
    void anHttpDashPortIsTakenAndItsNewNameIsCutToFifteenCharacters() {
        Pod pod = injected(pod().container(app().addNewPort().withName("http-frontend").withContainerPort(3000).endPort()
                .addNewEnv().withName("PORT").withValue("3000").endEnv()).build()).pod();

        assertThat(portNamed(sidecar(pod), "http-frontend").getContainerPort()).isEqualTo(3000);
        assertThat(containerOf(pod, "app").getPorts().get(0).getName()).isEqualTo("app-http-fronte").hasSizeLessThanOrEqualTo(15);
    }

    @Test
    void theAnnotationChoosesThePortByNameOrByNumberAndAnUnnamedPortMovesAsSluiceApp() {
        Pod byName = injected(pod().annotation(InjectionNames.PORT, "web").container(app().addNewPort().withName("web").withContainerPort(8000)
                .endPort().addNewPort().withName("metrics").withContainerPort(9090).endPort()
                .addNewEnv().withName("PORT").withValue("8000").endEnv()).build()).pod();
        assertThat(portNamed(sidecar(byName), "web").getContainerPort()).isEqualTo(8000);
        assertThat(portNamed(containerOf(byName, "app"), "app-web").getContainerPort()).isEqualTo(15100);
        assertThat(portNamed(containerOf(byName, "app"), "metrics").getContainerPort()).isEqualTo(9090);

        Pod byNumber = injected(pod().annotation(InjectionNames.PORT, "8000").annotation(InjectionNames.PORT_ENV, "LISTEN_PORT")
                .container(app().addNewPort().withContainerPort(8000).endPort()).build()).pod();
        assertThat(sidecar(byNumber).getPorts().get(0).getContainerPort()).isEqualTo(8000);
        assertThat(sidecar(byNumber).getPorts().get(0).getName()).isNull();
        assertThat(containerOf(byNumber, "app").getPorts().get(0).getName()).isEqualTo("sluice-app");
        assertThat(env(containerOf(byNumber, "app"), "LISTEN_PORT")).isEqualTo("15100");
    }

    @Test
    void anAnnotationNamingNoPortIsSkippedWithThePortsThePodHas() {
        Skipped skipped = skipped(pod().annotation(InjectionNames.PORT, "htp").container(httpApp()).build(), SkipReason.UNKNOWN_PORT);

        assertThat(skipped.message()).contains("sluice.dev/port 'htp' names no TCP container port").contains("'http' 8080/TCP in container app");
        assertThat(skipped.pod().getMetadata().getAnnotations()).containsEntry(InjectionNames.SKIPPED, skipped.message());
        assertThat(skipped.warnings()).anySatisfy(warning -> assertThat(warning).contains(skipped.message()));
    }

    @Test
    void twoHttpPortsAreAmbiguousUntilTheAnnotationNamesOne() {
        PodFixtures.PodFixture fixture = pod().container(app().addNewPort().withName("http").withContainerPort(8080).endPort()
                .addNewPort().withName("http-admin").withContainerPort(8081).endPort().addNewEnv().withName("PORT").withValue("8081").endEnv());

        Skipped skipped = skipped(fixture.build(), SkipReason.AMBIGUOUS_PORT);
        assertThat(skipped.message()).contains("'http' 8080/TCP", "'http-admin' 8081/TCP", InjectionNames.PORT);

        Pod pod = injected(fixture.annotation(InjectionNames.PORT, "http-admin").build()).pod();
        assertThat(portNamed(sidecar(pod), "http-admin").getContainerPort()).isEqualTo(8081);
        assertThat(portNamed(containerOf(pod, "app"), "http").getContainerPort()).as("the other HTTP port stays the app's").isEqualTo(8080);
    }

    @Test
    void aPodWhoseOnlyPortsArePostgresAndRedisIsNotInjected() {
        Pod original = pod().container(container("db").addNewPort().withName("postgres").withContainerPort(5432).endPort())
                .container(container("cache").addNewPort().withName("redis").withContainerPort(6379).endPort()).build();

        Skipped skipped = skipped(original, SkipReason.NO_HTTP_PORT);

        assertThat(skipped.message()).startsWith("no HTTP port: ").contains("'postgres' 5432/TCP in container db", "'redis' 6379/TCP in container cache",
                "name the serving port http", InjectionNames.PORT);
        Pod expected = SERIALIZATION.clone(original);
        expected.getMetadata().setAnnotations(Map.of(InjectionNames.SKIPPED, skipped.message()));
        assertThat(SERIALIZATION.asJson(skipped.pod())).as("only the annotation added").isEqualTo(SERIALIZATION.asJson(expected));
    }

    @Test
    void aPodWithoutPortsOrWithAnUdpPortNamedHttpIsNotInjected() {
        assertThat(skipped(pod().container(app()).build(), SkipReason.NO_HTTP_PORT).message()).contains("the pod declares no container port");
        skipped(pod().container(app().addNewPort().withName("http").withContainerPort(8080).withProtocol("UDP").endPort()).build(),
                SkipReason.NO_HTTP_PORT);
    }

    @Test
    void withoutADeclaredPortContractThePodIsNotInjectedAndTheAnnotationSaysWhatToAdd() {
        Skipped noEnv = skipped(pod().container(app().addNewPort().withName("http").withContainerPort(8080).endPort()).build(),
                SkipReason.NO_PORT_CONTRACT);
        assertThat(noEnv.message()).isEqualTo("port 8080 ('http') is taken over only when the pod declares how the app learns its new port:"
                + " add the annotation sluice.dev/port-env: PORT (the variable your app reads)");

        skipped(pod().container(app().addNewPort().withName("http").withContainerPort(8080).endPort()
                .addNewEnv().withName("PORT").withValue("3000").endEnv()).build(), SkipReason.NO_PORT_CONTRACT);
        skipped(pod().annotation(InjectionNames.PORT_ENV, "NOT A NAME").container(httpApp()).build(), SkipReason.NO_PORT_CONTRACT);
    }

    @Test
    void theContractVariableReplacesAnEarlierDefinitionEvenAReference() {
        Pod pod = injected(pod().annotation(InjectionNames.PORT_ENV, "SERVER_PORT").container(app().addNewPort().withName("http")
                .withContainerPort(8080).endPort().addNewEnv().withName("SERVER_PORT").withNewValueFrom().withNewConfigMapKeyRef("port", "cfg", false)
                .endValueFrom().endEnv()).build()).pod();

        List<EnvVar> serverPort = containerOf(pod, "app").getEnv().stream().filter(e -> e.getName().equals("SERVER_PORT")).toList();
        assertThat(serverPort).hasSize(1);
        assertThat(serverPort.get(0).getValue()).isEqualTo("15100");
        assertThat(serverPort.get(0).getValueFrom()).isNull();
    }

    @Test
    void theAppPortIsTheFirstNumberNoContainerUsesAndTheAdminPortMovesWhenAContainerDeclaresIt() {
        Pod pod = injected(pod().container(httpApp().addNewPort().withName("debug").withContainerPort(15100).endPort()
                        .addNewPort().withName("stats").withContainerPort(15021).endPort())
                .initContainer(container("helper").addNewPort().withContainerPort(15101).endPort())
                .container(container("agent").addNewPort().withName("agent").withContainerPort(15022).endPort()
                        .addNewPort().withName("agent2").withContainerPort(15102).endPort()).build()).pod();

        assertThat(portNamed(sidecar(pod), "sluice-admin").getContainerPort()).isEqualTo(15023);
        assertThat(portNamed(containerOf(pod, "app"), "app-http").getContainerPort()).isEqualTo(15103);
        assertThat(sidecar(pod).getArgs()).containsSequence("--admin-port", "15023").containsSequence("--upstream", "http://127.0.0.1:15103");
    }

    @Test
    void thePodIsAnnotatedForAnnotationBasedScrapingOfTheSidecarsAdminPort() {
        Pod pod = injected(pod().container(httpApp().addNewPort().withName("stats").withContainerPort(15021).endPort()).build()).pod();

        assertThat(pod.getMetadata().getAnnotations()).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", "15022").containsEntry("prometheus.io/path", "/metrics");
        assertThat(portNamed(sidecar(pod), "sluice-admin").getContainerPort()).as("the port annotated").isEqualTo(15022);
    }

    @Test
    void aPodThatAnnotatesItsOwnScrapingKeepsItAndIsWarned() {
        Injected injected = injected(pod().annotation("prometheus.io/port", "9102").container(httpApp()).build());

        assertThat(injected.pod().getMetadata().getAnnotations()).containsEntry("prometheus.io/port", "9102")
                .doesNotContainKeys("prometheus.io/scrape", "prometheus.io/path");
        assertThat(injected.warnings()).singleElement().asString().contains("prometheus.io/port", "kept", "15021", "metrics.podMonitor");
    }

    @Test
    void anAdminPortSetAboveTheAppRangeIsSkippedByTheAppPortChoice() {
        settings = new InjectionSettings(true, IMAGE, "Always", null, 15100, 5, Set.of(), false, null, null);

        Pod pod = injected(pod().container(httpApp()).build()).pod();

        assertThat(portNamed(sidecar(pod), "sluice-admin").getContainerPort()).isEqualTo(15100);
        assertThat(portNamed(containerOf(pod, "app"), "app-http").getContainerPort()).isEqualTo(15101);
        assertThat(sidecar(pod).getImagePullPolicy()).isEqualTo("Always");
    }

    @Test
    void probesAndHooksThatNamedTheTakenPortByNameOrNumberReachTheAppDirectlyAndOthersAreUntouched() {
        Pod pod = injected(pod().container(httpApp().addNewPort().withName("metrics").withContainerPort(9090).endPort()
                        .withLivenessProbe(httpGet("/live", port("http")))
                        .withReadinessProbe(httpGet("/ready", port(8080)))
                        .withStartupProbe(tcp(port("metrics")))
                        .withNewLifecycle().withNewPostStart().withNewHttpGet().withPath("/warm").withPort(port("http")).endHttpGet().endPostStart()
                        .endLifecycle())
                .container(container("checker").withReadinessProbe(httpGet("/ready", port(8080))).withLivenessProbe(tcp(port("http"))))
                .build()).pod();

        Container app = containerOf(pod, "app");
        assertThat(app.getLivenessProbe().getHttpGet().getPort()).isEqualTo(port(15100));
        assertThat(app.getReadinessProbe().getHttpGet().getPort()).isEqualTo(port(15100));
        assertThat(app.getStartupProbe().getTcpSocket().getPort()).as("another port: untouched").isEqualTo(port("metrics"));
        assertThat(app.getLifecycle().getPostStart().getHttpGet().getPort()).isEqualTo(port(15100));
        Container checker = containerOf(pod, "checker");
        assertThat(checker.getReadinessProbe().getHttpGet().getPort()).as("a number is the pod's port, wherever declared").isEqualTo(port(15100));
        assertThat(checker.getLivenessProbe().getTcpSocket().getPort()).as("a name resolves in the probing container only").isEqualTo(port("http"));
    }

    @Test
    void aGrpcProbeOnTheTakenNumberMovesToo() {
        Pod pod = injected(pod().container(httpApp().withNewLivenessProbe().withNewGrpc().withPort(8080).endGrpc().endLivenessProbe()).build()).pod();

        assertThat(containerOf(pod, "app").getLivenessProbe().getGrpc().getPort()).isEqualTo(15100);
    }

    @Test
    void loopbackBindingSetsTheVariableWhenNoProbeCallsTheAppPort() {
        Pod pod = injected(pod().annotation(InjectionNames.BIND_ENV, "HOST").container(httpApp()
                .withNewReadinessProbe().withNewExec().withCommand("/ready").endExec().endReadinessProbe()).build()).pod();

        assertThat(env(containerOf(pod, "app"), "HOST")).isEqualTo("127.0.0.1");
    }

    @Test
    void loopbackBindingIsRefusedWhenAProbeCallsTheAppPortThroughThePodIp() {
        Skipped skipped = skipped(pod().annotation(InjectionNames.BIND_ENV, "HOST")
                .container(httpApp().withReadinessProbe(httpGet("/ready", port("http")))).build(), SkipReason.LOOPBACK_PROBE);

        assertThat(skipped.message()).contains(InjectionNames.BIND_ENV, "readinessProbe of container app", "exec probes");
        assertThat(skipped.pod().getSpec().getInitContainers()).isNullOrEmpty();
    }

    @Test
    void hostNetworkPodsAndExcludedNamespacesAreNotInjected() {
        assertThat(skipped(pod().container(httpApp()).with(b -> b.editSpec().withHostNetwork(true).endSpec()).build(), SkipReason.HOST_NETWORK)
                .message()).contains("hostNetwork");

        Result system = new PodInjector(settings, Set.of("sluice-system", "kube-system"), () -> TOKEN)
                .inject(pod().container(httpApp()).label(InjectionNames.LABEL, "true").build(), "kube-system", NamespaceMode.NONE, NamespaceServices.none());
        assertThat(system).isInstanceOfSatisfying(Skipped.class, skipped -> {
            assertThat(skipped.reason()).isEqualTo(SkipReason.EXCLUDED_NAMESPACE);
            assertThat(skipped.pod().getMetadata().getAnnotations().get(InjectionNames.SKIPPED)).contains("kube-system");
        });
    }

    @Test
    void thePodLabelOptsInOrOutExceptWhereTheNamespaceRequiresTheSidecar() {
        Pod plain = pod().container(httpApp()).build();
        Pod optIn = pod().label(InjectionNames.LABEL, "true").container(httpApp()).build();
        Pod optOut = pod().label(InjectionNames.LABEL, "false").container(httpApp()).build();

        assertThat(inject(plain, NamespaceMode.NONE)).isInstanceOfSatisfying(Skipped.class, skipped -> {
            assertThat(skipped.reason()).isEqualTo(SkipReason.NOT_SELECTED);
            assertThat(skipped.pod()).isSameAs(plain);
            assertThat(skipped.warnings()).isEmpty();
        });
        assertThat(inject(optIn, NamespaceMode.NONE)).isInstanceOf(Injected.class);
        assertThat(inject(plain, NamespaceMode.ENABLED)).isInstanceOf(Injected.class);
        assertThat(inject(optOut, NamespaceMode.ENABLED)).isInstanceOfSatisfying(Skipped.class,
                skipped -> assertThat(skipped.reason()).isEqualTo(SkipReason.NOT_SELECTED));
        assertThat(inject(optOut, NamespaceMode.REQUIRED)).isInstanceOfSatisfying(Injected.class,
                injected -> assertThat(injected.warnings()).singleElement().asString().contains("requires the Sluice sidecar", "not honoured"));
    }

    @Test
    void injectingTwiceChangesNothing() {
        Pod once = injected(pod().initContainer(container("migrate")).container(httpApp().withReadinessProbe(httpGet("/ready", port("http"))))
                .build()).pod();

        Result twice = new PodInjector(settings, Set.of(), () -> "another-token").inject(once, NS, NamespaceMode.REQUIRED, NamespaceServices.none());

        assertThat(twice).isInstanceOfSatisfying(Skipped.class, skipped -> {
            assertThat(skipped.reason()).isEqualTo(SkipReason.ALREADY_INJECTED);
            assertThat(SERIALIZATION.asJson(skipped.pod())).isEqualTo(SERIALIZATION.asJson(once));
            assertThat(skipped.warnings()).isEmpty();
        });
    }

    @Test
    void aSkippedPodSkippedAgainGetsTheSameAnnotation() {
        Pod once = skipped(pod().container(app().addNewPort().withName("http").withContainerPort(8080).endPort()).build(),
                SkipReason.NO_PORT_CONTRACT).pod();

        Pod twice = skipped(once, SkipReason.NO_PORT_CONTRACT).pod();

        assertThat(SERIALIZATION.asJson(twice)).isEqualTo(SERIALIZATION.asJson(once));
    }

    @Test
    void aPodWithTheSidecarFromTheConfiguredImageIsLeftAlone() {
        Pod pod = pod().container(httpApp()).initContainer(container(InjectionNames.SIDECAR_CONTAINER).withImage(IMAGE)).build();

        assertThat(skipped(pod, SkipReason.ALREADY_INJECTED).pod()).isSameAs(pod);
    }

    @Test
    void theInjectedAnnotationAloneDoesNotLetAPodEscapeARequiredNamespace() {
        Pod forged = pod().container(httpApp()).build();
        forged.getMetadata().setAnnotations(new java.util.HashMap<>(Map.of(InjectionNames.INJECTED, "{\"version\":1}")));

        Result result = new PodInjector(settings, Set.of(), () -> "token").inject(forged, NS, NamespaceMode.REQUIRED, NamespaceServices.none());

        assertThat(result).isInstanceOfSatisfying(Injected.class, injected -> assertThat(injected.pod().getSpec().getInitContainers())
                .extracting(Container::getName).containsExactly(InjectionNames.SIDECAR_CONTAINER));
    }

    @Test
    void aContainerNamedLikeTheSidecarFromAnotherImageIsAConflictNotTheSidecar() {
        Pod pod = pod().container(httpApp()).initContainer(container(InjectionNames.SIDECAR_CONTAINER).withImage("evil/proxy:1")).build();

        assertThat(skipped(pod, SkipReason.NAME_CONFLICT).message()).contains("sluice-sidecar", "evil/proxy:1");
    }

    @Test
    void aVolumeNamedLikeOneOfTheSidecarsIsAConflictNotADuplicate() {
        for (String name : List.of("sluice-tmp", "sluice-api")) {
            skipped(pod().container(httpApp()).with(b -> b.editSpec().addNewVolume().withName(name).withNewEmptyDir().endEmptyDir()
                    .endVolume().endSpec()).build(), SkipReason.NAME_CONFLICT);
        }
    }

    @Test
    void theSidecarWatchesItsNamespacesConfigMapWithItsOwnProjectedTokenEvenWhereThePodMountsNone() {
        Pod pod = injected(pod().container(httpApp()).with(b -> b.editSpec().withAutomountServiceAccountToken(false).endSpec()).build()).pod();

        Container sidecar = sidecar(pod);
        assertThat(env(sidecar, "SLUICE_CONFIG_WATCH")).as("an env var: a sidecar older than the watch ignores it").isEqualTo("shop/sluice-config");
        assertThat(sidecar.getVolumeMounts()).filteredOn(mount -> mount.getName().equals("sluice-api")).singleElement().satisfies(mount -> {
            assertThat(mount.getMountPath()).isEqualTo("/var/run/secrets/sluice");
            assertThat(mount.getReadOnly()).isTrue();
        });
        Volume api = pod.getSpec().getVolumes().stream().filter(volume -> volume.getName().equals("sluice-api")).findFirst().orElseThrow();
        assertThat(api.getProjected().getSources()).hasSize(2);
        assertThat(api.getProjected().getSources().get(0).getServiceAccountToken()).satisfies(token -> {
            assertThat(token.getPath()).isEqualTo("token");
            assertThat(token.getExpirationSeconds()).isEqualTo(3600L);
            assertThat(token.getAudience()).as("the API server's own audience").isNull();
        });
        assertThat(api.getProjected().getSources().get(1).getConfigMap()).satisfies(ca -> {
            assertThat(ca.getName()).isEqualTo("kube-root-ca.crt");
            assertThat(ca.getItems()).singleElement().satisfies(item -> {
                assertThat(item.getKey()).isEqualTo("ca.crt");
                assertThat(item.getPath()).isEqualTo("ca.crt");
            });
        });
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).as("the pod's own choice stays").isFalse();
        assertThat(containerOf(pod, "app").getVolumeMounts()).as("the app's container gets no token").isNullOrEmpty();
    }

    @Test
    void theAppGetsADrainPreStopWithinItsGracePeriodUnlessItHasOne() {
        Container app = containerOf(injected(pod().container(httpApp()).build()).pod(), "app");
        assertThat(app.getLifecycle().getPreStop().getHttpGet().getPort()).isEqualTo(port(15021));
        assertThat(app.getLifecycle().getPreStop().getHttpGet().getPath()).isEqualTo("/drain?seconds=5");
        assertThat(app.getLifecycle().getPreStop().getHttpGet().getHttpHeaders()).singleElement()
                .satisfies(header -> {
                    assertThat(header.getName()).isEqualTo(InjectionNames.DRAIN_TOKEN_HEADER);
                    assertThat(header.getValue()).isEqualTo(TOKEN);
                });

        Container shortGrace = containerOf(injected(pod().container(httpApp()).with(b -> b.editSpec().withTerminationGracePeriodSeconds(4L).endSpec())
                .build()).pod(), "app");
        assertThat(shortGrace.getLifecycle().getPreStop().getHttpGet().getPath()).isEqualTo("/drain?seconds=2");

        Injected noTime = injected(pod().container(httpApp()).with(b -> b.editSpec().withTerminationGracePeriodSeconds(2L).endSpec()).build());
        assertThat(containerOf(noTime.pod(), "app").getLifecycle()).isNull();
        assertThat(noTime.record()).contains("\"drainSeconds\":0");

        Container own = containerOf(injected(pod().container(httpApp().withNewLifecycle().withNewPreStop().withNewSleep(10L).endPreStop()
                .endLifecycle()).build()).pod(), "app");
        assertThat(own.getLifecycle().getPreStop().getSleep().getSeconds()).isEqualTo(10L);
        assertThat(own.getLifecycle().getPreStop().getHttpGet()).isNull();
    }

    @Test
    void imageOverridesAreHonouredOnlyFromTheAllowList() throws Exception {
        settings = new InjectionSettings(true, IMAGE, "IfNotPresent", null, 15021, 5, Set.of("registry.example/sluice-sidecar:1.1-debug"),
                false, null, null);

        assertThat(sidecar(injected(pod().annotation(InjectionNames.SIDECAR_IMAGE, "registry.example/sluice-sidecar:1.1-debug")
                .container(httpApp()).build()).pod()).getImage()).isEqualTo("registry.example/sluice-sidecar:1.1-debug");

        Injected refused = injected(pod().annotation(InjectionNames.SIDECAR_IMAGE, "evil/sidecar:latest").container(httpApp()).build());
        assertThat(sidecar(refused.pod()).getImage()).isEqualTo(IMAGE);
        assertThat(refused.warnings()).singleElement().asString().contains("evil/sidecar:latest", "--injection-allowed-images", IMAGE);
        assertThat(JSON.readTree(refused.record()).path("warnings").get(0).asText()).isEqualTo(refused.warnings().get(0));
    }

    @Test
    void resourceOverridesAreHonouredOnlyWhenAllowedAndNeverMadeInvalid() {
        Pod annotated = pod().annotation(InjectionNames.SIDECAR_CPU, "200m").annotation(InjectionNames.SIDECAR_MEMORY_LIMIT, "512Mi")
                .container(httpApp()).build();

        Injected disallowed = injected(annotated);
        assertThat(sidecar(disallowed.pod()).getResources()).isEqualTo(InjectionSettings.DEFAULT_RESOURCES);
        assertThat(disallowed.warnings()).singleElement().asString().contains("--injection-resource-overrides");

        settings = new InjectionSettings(true, IMAGE, "IfNotPresent", null, 15021, 5, Set.of(), true, null, null);
        Injected allowed = injected(annotated);
        assertThat(sidecar(allowed.pod()).getResources().getRequests()).containsEntry("cpu", new Quantity("200m"))
                .containsEntry("memory", new Quantity("128Mi"));
        assertThat(sidecar(allowed.pod()).getResources().getLimits()).containsEntry("memory", new Quantity("512Mi"));
        assertThat(allowed.warnings()).isEmpty();

        Injected typo = injected(pod().annotation(InjectionNames.SIDECAR_MEMORY, "lots").container(httpApp()).build());
        assertThat(sidecar(typo.pod()).getResources()).isEqualTo(InjectionSettings.DEFAULT_RESOURCES);
        assertThat(typo.warnings()).singleElement().asString().contains("'lots' is not a Kubernetes quantity");

        Injected aboveLimit = injected(pod().annotation(InjectionNames.SIDECAR_MEMORY, "1Gi").container(httpApp()).build());
        assertThat(sidecar(aboveLimit.pod()).getResources()).isEqualTo(InjectionSettings.DEFAULT_RESOURCES);
        assertThat(aboveLimit.warnings()).singleElement().asString().contains("memory request 1Gi is above its limit 128Mi");
    }

    @Test
    void upstreamTimeoutAndLogLevelReachTheSidecarAndInvalidValuesAreWarnedAbout() {
        Container sidecar = sidecar(injected(pod().annotation(InjectionNames.UPSTREAM_TIMEOUT, "45s").annotation(InjectionNames.LOG_LEVEL, "DEBUG")
                .container(httpApp()).build()).pod());
        assertThat(env(sidecar, InjectionNames.ENV_UPSTREAM_TIMEOUT)).isEqualTo("45s");
        assertThat(env(sidecar, InjectionNames.ENV_LOG_LEVEL)).isEqualTo("debug");

        Injected invalid = injected(pod().annotation(InjectionNames.UPSTREAM_TIMEOUT, "soon").annotation(InjectionNames.LOG_LEVEL, "loud")
                .container(httpApp()).build());
        assertThat(env(sidecar(invalid.pod()), InjectionNames.ENV_UPSTREAM_TIMEOUT)).isNull();
        assertThat(env(sidecar(invalid.pod()), InjectionNames.ENV_LOG_LEVEL)).isNull();
        assertThat(invalid.warnings()).hasSize(2).anySatisfy(w -> assertThat(w).contains("'soon'")).anySatisfy(w -> assertThat(w).contains("'loud'"));
    }

    @Test
    void theRedisPasswordComesFromAnOptionalSecretInThePodsNamespace() {
        settings = new InjectionSettings(true, IMAGE, "IfNotPresent", null, 15021, 5, Set.of(), false, "sluice-redis", "password");

        EnvVar password = sidecar(injected(pod().container(httpApp()).build()).pod()).getEnv().stream()
                .filter(e -> e.getName().equals(InjectionNames.ENV_REDIS_PASSWORD)).findFirst().orElseThrow();

        assertThat(password.getValueFrom().getSecretKeyRef().getName()).isEqualTo("sluice-redis");
        assertThat(password.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
        assertThat(password.getValueFrom().getSecretKeyRef().getOptional()).isTrue();
    }

    @Test
    void aHostPortStaysWithTheServingPortOnTheSidecar() {
        Pod pod = injected(pod().container(app().addNewPort().withName("http").withContainerPort(8080).withHostPort(80).endPort()
                .addNewEnv().withName("PORT").withValue("8080").endEnv()).build()).pod();

        assertThat(portNamed(sidecar(pod), "http").getHostPort()).isEqualTo(80);
        assertThat(portNamed(containerOf(pod, "app"), "app-http").getHostPort()).isNull();
    }

    @Test
    void aStaleSkipAnnotationGoesOnceThePodIsInjected() {
        Pod pod = injected(pod().annotation(InjectionNames.SKIPPED, "earlier reason").container(httpApp()).build()).pod();

        assertThat(pod.getMetadata().getAnnotations()).doesNotContainKey(InjectionNames.SKIPPED).containsKey(InjectionNames.INJECTED);
    }

    @Test
    void renamedPortsStayValidAndUnique() {
        Container container = app().addNewPort().withName("app-http").withContainerPort(1).endPort().build();

        assertThat(PodInjector.appPortName("http", container)).isEqualTo("app-http-2");
        assertThat(PodInjector.appPortName("a-very-long-nam", app().build())).isEqualTo("app-a-very-long");
        assertThat(PodInjector.appPortName("abcdefghij-x", app().build())).isEqualTo("app-abcdefghij");
        assertThat(PodInjector.appPortName(null, app().build())).isEqualTo("sluice-app");
    }

    @Test
    void theAppProtocolAnnotationChoosesH2cOrHttpWithoutReadingServices() throws Exception {
        assertThat(protocolOf(inject(pod().annotation(InjectionNames.APP_PROTOCOL, "h2c").container(httpApp()).build(), UNREADABLE)))
                .containsExactly("h2c://127.0.0.1:15100", "h2c", "annotation sluice.dev/app-protocol");
        assertThat(protocolOf(inject(pod().annotation(InjectionNames.APP_PROTOCOL, " H2C ").container(httpApp()).build(), UNREADABLE)))
                .as("trimmed, in any case").startsWith("h2c://127.0.0.1:15100");
        Result http = inject(pod().annotation(InjectionNames.APP_PROTOCOL, "http").container(httpApp()).build(),
                namespace -> List.of(service("grpc", servicePort("grpc", 80, port(8080), "kubernetes.io/h2c"))));
        assertThat(protocolOf(http)).as("the annotation wins over the Services").containsExactly("http://127.0.0.1:15100", "http",
                "annotation sluice.dev/app-protocol");
        assertThat(http.warnings()).isEmpty();
    }

    @Test
    void anAppProtocolAnnotationThatIsNoProtocolLeavesThePodAloneNamingTheAnnotationAndValue() {
        Result result = inject(pod().annotation(InjectionNames.APP_PROTOCOL, "grpc").container(httpApp()).build(), UNREADABLE);

        assertThat(result).isInstanceOfSatisfying(Skipped.class, skipped -> {
            assertThat(skipped.reason()).isEqualTo(SkipReason.UNKNOWN_APP_PROTOCOL);
            assertThat(skipped.message()).contains("sluice.dev/app-protocol 'grpc' is neither http", "h2c");
            assertThat(skipped.pod().getMetadata().getAnnotations()).containsEntry(InjectionNames.SKIPPED, skipped.message());
            assertThat(skipped.pod().getSpec().getInitContainers()).isNullOrEmpty();
            assertThat(skipped.warnings()).singleElement().asString().contains(skipped.message());
        });
    }

    @Test
    void aServicePortWithAppProtocolH2cTargetingTheTakenPortByNumberByNameOrByItsOwnNumberMakesTheUpstreamH2c() throws Exception {
        Pod pod = pod().container(httpApp()).build();

        assertThat(protocolOf(pod, service("echo", servicePort("api", 80, port(8080), "kubernetes.io/h2c"))))
                .containsExactly("h2c://127.0.0.1:15100", "h2c", "Service echo port api (appProtocol kubernetes.io/h2c)");
        assertThat(protocolOf(pod, service("echo", servicePort(null, 80, port("http"), "h2c"))))
                .containsExactly("h2c://127.0.0.1:15100", "h2c", "Service echo port 80 (appProtocol h2c)");
        assertThat(protocolOf(pod, service("echo", servicePort("rpc", 8080, null, "grpc"))))
                .containsExactly("h2c://127.0.0.1:15100", "h2c", "Service echo port rpc (appProtocol grpc)");
        assertThat(protocolOf(pod, service("echo", servicePort("grpc", 80, port(8080), "http"))))
                .as("appProtocol before the name, as Istio reads it").containsExactly("http://127.0.0.1:15100", "http",
                        "Service echo port grpc (appProtocol http)");
    }

    @ParameterizedTest
    @CsvSource({"grpc, h2c", "grpc-api, h2c", "GRPC-Api, h2c", "h2c, h2c", "h2c-internal, h2c", "http2, h2c", "http2-web, h2c",
            "grpc-web, http", "grpcweb, default", "http, http", "http-api, http", "tcp, http", "web, default", "grpcx, default"})
    void serviceOrContainerPortNamesFollowIstiosPrefixes(String name, String expected) throws Exception {
        List<String> byService = protocolOf(pod().container(httpApp()).build(), service("echo", servicePort(name, 80, port(8080), null)));
        assertThat(byService.get(1)).isEqualTo(expected.equals("h2c") ? "h2c" : "http");
        assertThat(byService.get(2)).isEqualTo(expected.equals("default") ? "default" : "Service echo port " + name);

        Pod named = pod().annotation(InjectionNames.PORT, "8080").container(app().addNewPort().withName(name.toLowerCase(java.util.Locale.ROOT))
                .withContainerPort(8080).endPort().addNewEnv().withName("PORT").withValue("8080").endEnv()).build();
        assertThat(protocolOf(named).get(1)).as("the container port's own name, without Services").isEqualTo(expected.equals("h2c") ? "h2c" : "http");
    }

    @Test
    void servicesThatDoNotSelectThePodOrDoNotSendToTheTakenPortAreNotFollowed() throws Exception {
        Pod pod = pod().container(httpApp().addNewPort().withName("metrics").withContainerPort(9090).endPort()).build();
        Service otherPods = new ServiceBuilder(service("other", servicePort("grpc", 80, port(8080), null))).editSpec()
                .withSelector(Map.of("app", "worker")).endSpec().build();
        Service noSelector = new ServiceBuilder(service("manual", servicePort("grpc", 80, port(8080), null))).editSpec()
                .withSelector(null).endSpec().build();
        Service otherPort = service("metrics", servicePort("grpc", 80, port(9090), null), servicePort("h2c", 81, port("metrics"), null));
        Service udp = new ServiceBuilder(service("udp", servicePort("grpc", 8080, port(8080), null))).editSpec().editFirstPort()
                .withProtocol("UDP").endPort().endSpec().build();

        assertThat(protocolOf(pod, otherPods, noSelector, otherPort, udp)).containsExactly("http://127.0.0.1:15100", "http", "default");
        assertThat(protocolOf(pod)).as("no Service at all").containsExactly("http://127.0.0.1:15100", "http", "default");
    }

    @Test
    void servicesThatAgreeOnH2cAreFollowedAndOneThatSaysNothingDoesNotDisagree() throws Exception {
        Pod pod = pod().container(httpApp()).build();

        assertThat(protocolOf(pod, service("echo", servicePort("grpc", 80, port(8080), null)),
                service("echo-headless", servicePort("web", 8080, port("http"), null), servicePort("rpc", 9000, port(8080), "kubernetes.io/h2c"))))
                .containsExactly("h2c://127.0.0.1:15100", "h2c", "Service echo port grpc, Service echo-headless port rpc (appProtocol kubernetes.io/h2c)");
    }

    @Test
    void servicesThatDisagreeGiveHttpWithAWarningNamingThemInTheRecordAndTheAnswer() throws Exception {
        Result result = inject(pod().container(httpApp()).build(), namespace -> List.of(
                service("echo", servicePort("grpc", 80, port(8080), "kubernetes.io/h2c")),
                service("echo-web", servicePort("http", 80, port("http"), null))));

        assertThat(protocolOf(result)).containsExactly("http://127.0.0.1:15100", "http", "default (the Services disagree)");
        assertThat(result.warnings()).singleElement().asString().contains("disagree",
                "h2c: Service echo port grpc (appProtocol kubernetes.io/h2c); not h2c: Service echo-web port http",
                "over HTTP/1.1", "sluice.dev/app-protocol");
        assertThat(JSON.readTree(((Injected) result).record()).path("warnings").get(0).asText()).isEqualTo(result.warnings().get(0));
    }

    @Test
    void servicesThatCannotBeReadGiveHttpWithAWarningAndAreNotAskedForAPodThatIsNotInjected() throws Exception {
        Result result = inject(pod().container(httpApp()).build(), UNREADABLE);

        assertThat(protocolOf(result)).containsExactly("http://127.0.0.1:15100", "http", "default");
        assertThat(result.warnings()).singleElement().asString().contains("could not be read", "cannot list resource",
                "sluice.dev/app-protocol: h2c");

        assertThat(inject(pod().label(InjectionNames.LABEL, "false").container(httpApp()).build(), UNREADABLE))
                .isInstanceOfSatisfying(Skipped.class, skipped -> assertThat(skipped.warnings()).isEmpty());
        assertThat(inject(pod().container(app().addNewPort().withName("http").withContainerPort(8080).endPort()).build(), UNREADABLE))
                .isInstanceOfSatisfying(Skipped.class, skipped -> assertThat(skipped.reason()).isEqualTo(SkipReason.NO_PORT_CONTRACT));
    }
}
