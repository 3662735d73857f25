package dev.sluice.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The suite's real single-node cluster ({@code e2e/cluster/node.sh}), owned by this JVM: brought up
 * once, with the operator and sidecar images the build wrote imported and {@code crds/} applied, and
 * taken down when the suite ends (or the JVM exits; if the JVM is killed, the next {@code up} cleans
 * up). A snapshot of the machine is taken before {@code up} and after {@code down}.
 */
public final class TestCluster implements AutoCloseable {
    static final String[] CRDS = {"ratelimitpolicies.sluice.dev", "circuitbreakers.sluice.dev", "jobquotas.sluice.dev"};
    /** The test workloads' image (busybox-static: sh, sleep, httpd, nc), imported by every {@code node.sh up}. */
    public static final String BUSYBOX = "localhost/busybox:1.35";
    static final Path OPERATOR_IMAGE = Path.of("operator/target/sluice-operator-image.tar");
    static final Path SIDECAR_IMAGE = Path.of("sidecar/target/sluice-sidecar-image.tar");
    /** How long to wait for a cluster another live run holds (another checkout's CI, say) to be taken down. */
    private static final Duration IN_USE_WAIT = Duration.ofMinutes(20);
    /** The cluster's owner: this JVM (if it is killed, the next {@code up} cleans up after it). */
    private static final long OWNER = ProcessHandle.current().pid();
    private static final Logger LOG = LoggerFactory.getLogger(TestCluster.class);

    private final NodeScript node;
    private final String machineBefore;
    private final Kubectl kubectl;
    private final Kubectl helm;
    private final KubernetesClient client;
    private final Images images;
    private final Thread downOnExit;
    private Kubectl.Result crdApply;
    private OperatorDeployment operator;
    private MachineSnapshots shutDown;

    /** The image references of the tars the build wrote, as the kubelet finds them once imported. */
    public record Images(String operator, String sidecar) {
    }

    /** The machine as {@code node.sh snapshot} saw it before {@code up} and after {@code down}. */
    record MachineSnapshots(String before, String after) {
    }

    private TestCluster(NodeScript node, String machineBefore, Kubectl kubectl, KubernetesClient client, Images images) {
        this.node = node;
        this.machineBefore = machineBefore;
        this.kubectl = kubectl;
        this.helm = Kubectl.helm(kubectl.kubeconfig());
        this.client = client;
        this.images = images;
        this.downOnExit = new Thread(this::shutDownQuietly, "cluster-down-on-exit");
        Runtime.getRuntime().addShutdownHook(downOnExit);
    }

    static TestCluster start() {
        Path work = directory("e2e/target/cluster");
        List<Path> tars = List.of(path(OPERATOR_IMAGE.toString()), path(SIDECAR_IMAGE.toString()));
        for (Path tar : tars) {
            if (!Files.isRegularFile(tar)) {
                throw new IllegalStateException(tar + " is missing: the e2e tests run the images the build writes;"
                        + " run `bash images/build-base.sh`, then `mvn -pl operator,sidecar -am package -DskipTests`");
            }
        }
        Images images = new Images(imageReference(tars.get(0)), imageReference(tars.get(1)));
        NodeScript node = new NodeScript(path("e2e/cluster/node.sh"), work.resolve("node.log"));
        long started = System.nanoTime();
        String before = node.up(OWNER, IN_USE_WAIT, work.resolve("machine-before.txt"));
        LOG.info("cluster up in {} s (waiting for another run's included)", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
        TestCluster cluster;
        try {
            Path kubeconfig = node.kubeconfig();
            Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
            // Longer than the API server may wait for the webhooks (chart: webhook.timeoutSeconds, 10 s by
            // default, up to 30): with the client's 10 s, a creation the API server was still admitting
            // timed out here, the client sent it again, and the test saw 409 AlreadyExists for its own Job.
            config.setRequestTimeout((int) Duration.ofSeconds(60).toMillis());
            cluster = new TestCluster(node, before, Kubectl.of(kubeconfig), new KubernetesClientBuilder().withConfig(config).build(), images);
        } catch (IOException e) {
            node.down(OWNER);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            node.down(OWNER);
            throw e;
        }
        try {
            node.importImages(tars);
            cluster.crdApply = cluster.kubectl.run("apply", "-f", path("crds").toString());
            if (cluster.crdApply.succeeded()) {
                // Polled through the client, not `kubectl wait`: a CRD read just after its creation can have
                // status.conditions null, which kubectl wait reports as an error at once instead of waiting.
                for (String crd : CRDS) {
                    await("CRD " + crd + " Established").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                            .until(() -> established(cluster.client.apiextensions().v1().customResourceDefinitions().withName(crd).get()));
                }
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** A file or folder of the repository, e.g. {@code path("examples/ratelimitpolicy.yaml")}. */
    static Path path(String relative) {
        return ClusterExtension.repositoryRoot().resolve(relative);
    }

    /** A folder under the repository, created if missing. */
    static Path directory(String relative) {
        try {
            return Files.createDirectories(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Kubectl kubectl() {
        return kubectl;
    }

    /** The real helm CLI against this cluster (built by {@code e2e/cluster/build.sh}). */
    public Kubectl helm() {
        return helm;
    }

    /** A client with the cluster's admin identity (system:masters). */
    public KubernetesClient client() {
        return client;
    }

    public Images images() {
        return images;
    }

    /** What the suite's first {@code kubectl apply -f crds/} printed: every other test relies on it. */
    Kubectl.Result crdApply() {
        return crdApply;
    }

    /** The operator from its image, installed by {@code helm install} of {@code charts/sluice} the first time a test asks for it. */
    public synchronized OperatorDeployment operator() {
        if (operator == null) {
            operator = OperatorDeployment.install(this);
        }
        return operator;
    }

    /** Names the imported image {@code source} also {@code target}: a second image for a rollout, with nothing built. */
    public void tagImage(String source, String target) {
        node.tagImage(source, target);
    }

    /** Creates a namespace for one test class. */
    public String createNamespace(String name) {
        kubectl().run("create", "namespace", name).orThrow();
        return name;
    }

    /**
     * Writes what explains a failure under {@code e2e/target/diagnostics/<name>}: component and container
     * logs, events, descriptions of the node, pods and Jobs, the Sluice resources. Returns a short
     * pointer to it with the latest events.
     */
    synchronized String diagnose(String name) {
        if (shutDown != null) {
            return "(the cluster was already down: no diagnostics)";
        }
        Path directory = directory("e2e/target/diagnostics/" + name.replaceAll("[^A-Za-z0-9._-]+", "_"));
        NodeScript.Result diagnose = node.diagnose(directory);
        try {
            Files.writeString(directory.resolve("sluice.yaml"),
                    kubectl.run("get", "ratelimitpolicies,circuitbreakers,jobquotas,configmaps", "-A", "-o", "yaml").stdout());
            if (operator != null) {
                operator.collectLogs();
            }
            Path events = directory.resolve("events.txt");
            List<String> lines = Files.isRegularFile(events) ? Files.readAllLines(events) : List.of();
            return "diagnostics in " + directory + (diagnose.succeeded() ? "" : " (node.sh diagnose failed: " + diagnose.stderr() + ")")
                    + "\nlatest events:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "diagnostics in " + directory + " (incomplete: " + e + ")";
        }
    }

    /** Takes the cluster down (once) and returns the machine's snapshots from before {@code up} and after {@code down}. */
    synchronized MachineSnapshots shutDown() {
        if (shutDown == null) {
            try {
                if (operator != null) {
                    operator.collectLogs();
                    operator.stopFollowingLogs();
                }
            } finally {
                client.close();
                node.down(OWNER);
                shutDown = new MachineSnapshots(machineBefore, node.snapshot());
                try {
                    Runtime.getRuntime().removeShutdownHook(downOnExit);
                } catch (IllegalStateException exiting) {
                    // the JVM is exiting: nothing to remove
                }
            }
        }
        return shutDown;
    }

    private void shutDownQuietly() {
        try {
            shutDown();
        } catch (RuntimeException e) {
            LOG.error("could not take the e2e cluster down; the next node.sh up cleans up", e);
        }
    }

    @Override
    public void close() {
        shutDown();
    }

    private static boolean established(CustomResourceDefinition crd) {
        return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null && crd.getStatus().getConditions().stream()
                .anyMatch(condition -> "Established".equals(condition.getType()) && "True".equals(condition.getStatus()));
    }

    /** The reference a tar's index.json names, e.g. {@code localhost/sluice-operator:0.1.0-SNAPSHOT}. */
    private static String imageReference(Path tar) {
        try {
            Process process = new ProcessBuilder("tar", "-xOf", tar.toString(), "index.json").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] index = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("cannot read index.json from " + tar);
            }
            String reference = new ObjectMapper().readTree(index).path("manifests").path(0).path("annotations")
                    .path("org.opencontainers.image.ref.name").asText();
            if (reference.isEmpty()) {
                throw new IllegalStateException(tar + " names no image in index.json");
            }
            return reference;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
