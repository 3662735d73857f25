package dev.sluice.benchmarks.live;

import dev.sluice.api.inject.InjectionNames;
import dev.sluice.operator.inject.InjectionSettings;
import dev.sluice.operator.inject.NamespaceMode;
import dev.sluice.operator.inject.NamespaceServices;
import dev.sluice.operator.inject.PodInjector;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The benchmark's pods, made as a cluster would make them without a kubelet: each pod is the operator's own
 * {@link PodInjector} applied to a plain app pod (so it has the sidecar exactly as injected, with its admin port
 * {@code sluice-admin} set to the simulator's report port), created, then given the status a kubelet would write
 * (Running, a pod IP of its own on the loopback interface, every container ready), and a ServiceAccount token bound to
 * it from the TokenRequest API, as the kubelet projects into the sidecar's volume.
 */
final class FleetPods {
    static final String APP_LABEL = "app";
    static final String APP = "fleet";
    static final String SERVICE_ACCOUNT = "default";
    /** The token's lifetime, as the injected projected volume asks. */
    static final long TOKEN_SECONDS = 3600;
    private static final int PARALLEL_REQUESTS = 8;
    private static final String SIDECAR_IMAGE = "localhost/sluice-sidecar:benchmark";

    /** A pod as the simulator needs it: its name, IP and the file holding its token. */
    record FleetPod(String name, String ip, Path tokenFile) {
        String line() {
            return name + " " + ip + " " + tokenFile;
        }
    }

    private FleetPods() {
    }

    /** The IP of pod {@code index}: 127.1.0.1 up to 127.1.3.250 for 1,000 pods; every 127/8 address is on the loopback interface. */
    static String ip(int index) {
        return "127.1." + (index / 250) + "." + (index % 250 + 1);
    }

    /** Creates {@code count} injected pods in {@code namespace}, marks them running, and writes a token per pod into {@code tokens}. */
    static List<FleetPod> create(KubernetesClient client, String namespace, int count, int adminPort, Path tokens) throws InterruptedException {
        try {
            Files.createDirectories(tokens);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + tokens, e);
        }
        InjectionSettings settings = new InjectionSettings(true, SIDECAR_IMAGE, InjectionSettings.DEFAULT_PULL_POLICY, null, adminPort,
                InjectionSettings.DEFAULT_DRAIN_SECONDS, Set.of(), false, null, null);
        PodInjector injector = new PodInjector(settings, Set.of(), PodInjector.randomTokens());
        ExecutorService requests = Executors.newFixedThreadPool(PARALLEL_REQUESTS);
        try {
            List<Future<FleetPod>> made = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                made.add(requests.submit(() -> createOne(client, namespace, injector, index, tokens)));
            }
            List<FleetPod> pods = new ArrayList<>();
            for (Future<FleetPod> pod : made) {
                pods.add(pod.get());
            }
            return pods;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create the pods: " + e.getCause(), e.getCause());
        } finally {
            requests.shutdownNow();
        }
    }

    private static FleetPod createOne(KubernetesClient client, String namespace, PodInjector injector, int index, Path tokens) throws IOException {
        String name = "fleet-" + index;
        Pod app = new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace).addToLabels(APP_LABEL, APP).endMetadata()
                // What the ServiceAccount admission plugin would set (the API server runs without it: no controller makes ServiceAccounts).
                .withNewSpec().withServiceAccountName(SERVICE_ACCOUNT).addNewContainer().withName("app").withImage("registry.example/fleet-app:1")
                .addNewPort().withName("http").withContainerPort(8080).endPort()
                .addNewEnv().withName(InjectionNames.DEFAULT_PORT_ENV).withValue("8080").endEnv()
                .endContainer().endSpec().build();
        PodInjector.Result result = injector.inject(app, namespace, NamespaceMode.ENABLED, NamespaceServices.none());
        if (!(result instanceof PodInjector.Injected injected)) {
            throw new IllegalStateException("the injector left " + name + " without the sidecar: " + result);
        }
        Pod created = client.pods().inNamespace(namespace).resource(injected.pod()).create();
        String ip = ip(index);
        String now = Instant.now().toString();
        created.setStatus(new PodStatusBuilder().withPhase("Running").withHostIP("127.0.0.1").withPodIP(ip).addNewPodIP(ip)
                .withStartTime(now)
                .addNewCondition().withType("Initialized").withStatus("True").withLastTransitionTime(now).endCondition()
                .addNewCondition().withType("ContainersReady").withStatus("True").withLastTransitionTime(now).endCondition()
                .addNewCondition().withType("Ready").withStatus("True").withLastTransitionTime(now).endCondition()
                .addNewCondition().withType("PodScheduled").withStatus("True").withLastTransitionTime(now).endCondition()
                .withInitContainerStatuses(running(InjectionNames.SIDECAR_CONTAINER, SIDECAR_IMAGE, now))
                .withContainerStatuses(running("app", "registry.example/fleet-app:1", now))
                .build());
        Pod running = client.pods().inNamespace(namespace).resource(created).updateStatus();
        TokenRequest token = client.serviceAccounts().inNamespace(namespace).withName(SERVICE_ACCOUNT).tokenRequest(new TokenRequestBuilder()
                .withNewSpec().withExpirationSeconds(TOKEN_SECONDS)
                .withNewBoundObjectRef().withApiVersion("v1").withKind("Pod").withName(name).withUid(running.getMetadata().getUid()).endBoundObjectRef()
                .endSpec().build());
        Path tokenFile = tokens.resolve(name);
        Files.writeString(tokenFile, token.getStatus().getToken());
        return new FleetPod(name, ip, tokenFile);
    }

    private static ContainerStatus running(String name, String image, String since) {
        return new ContainerStatusBuilder().withName(name).withImage(image).withImageID(image).withReady(true).withStarted(true)
                .withRestartCount(0).withNewState().withNewRunning(since).endState().build();
    }
}
