package dev.sluice.benchmarks.live;

import static dev.sluice.benchmarks.LoadProgram.option;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.benchmarks.live.UsageMeter.Measured;
import dev.sluice.benchmarks.live.UsageMeter.Phase;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The 1,000-sidecar benchmark (docs/benchmarks.md, "1,000 sidecars"): a real kube-apiserver and etcd, the operator's
 * shaded jar as a process of its own (or two, with leader election), and {@link SidecarFleet} simulating 1,000 injected
 * sidecars, each with its own watch. It patches a RateLimitPolicy's limit N times and prints: the time from each patch
 * to each sidecar's watch delivering the new document (p50/p99/max over all), the time to the policy's status saying
 * Ready with every pod enforcing (when the operator writes live status), and the CPU and peak RSS of every process over
 * the patches and over an idle minute.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.sluice.benchmarks.live.FleetBenchmark [--pods 1000] [--patches 20]
 *     [--steady-seconds 60] [--operators 1|2] [--operator-jar operator/target/sluice-operator.jar] [--crds crds]
 *     [--operator-max-ram 512m] [--work DIR]
 * </pre>
 */
public final class FleetBenchmark {
    static final String NAMESPACE = "fleet";
    static final String POLICY = "api";
    static final String RULE = "all";
    private static final long FIRST_LIMIT = 1000;
    private static final int WARMUP_PATCHES = 3;
    private static final Duration PROPAGATION_LIMIT = Duration.ofSeconds(30);
    private static final Duration STATUS_LIMIT = Duration.ofSeconds(15);
    private static final Duration BETWEEN_PATCHES = Duration.ofMillis(500);
    /** The operator chart's memory limit; the JVM sizes its heap from it in a container (a quarter: 128 MiB), as here. */
    private static final String CHART_MEMORY_LIMIT = "512m";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int podCount;
    private final int patches;
    private final int steadySeconds;
    private final int operatorCount;
    private final Path operatorJar;
    private final String operatorMaxRam;
    private final Path crds;
    private final Path work;
    private final Clock clock = Clock.systemUTC();
    private final List<Process> started = Collections.synchronizedList(new ArrayList<>());
    /** Stopped last, by {@link #stopAll()} too: a benchmark stopped with SIGTERM leaves no API server behind. */
    private volatile ControlPlane plane;
    private final HttpClient control = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private long nextLimit = FIRST_LIMIT;

    private FleetBenchmark(String[] args) {
        podCount = Integer.parseInt(option(args, "--pods", "1000"));
        patches = Integer.parseInt(option(args, "--patches", "20"));
        steadySeconds = Integer.parseInt(option(args, "--steady-seconds", "60"));
        operatorCount = Integer.parseInt(option(args, "--operators", "1"));
        operatorJar = Path.of(option(args, "--operator-jar", "operator/target/sluice-operator.jar"));
        operatorMaxRam = option(args, "--operator-max-ram", CHART_MEMORY_LIMIT);
        if (!operatorMaxRam.matches("[0-9]+[kmgKMG]?")) {
            throw new IllegalArgumentException("--operator-max-ram must be a JVM size such as 512m or 2g, got '" + operatorMaxRam + "'");
        }
        crds = Path.of(option(args, "--crds", "crds"));
        work = Path.of(option(args, "--work", System.getProperty("java.io.tmpdir") + "/sluice-fleet-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        if (podCount < 1 || podCount > 250 * 250) {
            throw new IllegalArgumentException("--pods must be 1 to 62500, got " + podCount);
        }
        if (operatorCount < 1 || operatorCount > 2) {
            throw new IllegalArgumentException("--operators must be 1 or 2, got " + operatorCount);
        }
        if (!Files.isRegularFile(operatorJar)) {
            throw new IllegalArgumentException("--operator-jar " + operatorJar + " is missing: mvn -o -q -B -P '!images' -pl operator -am package -DskipTests");
        }
        if (!Files.isDirectory(crds)) {
            throw new IllegalArgumentException("--crds " + crds + " is not a directory (run from the repository's root)");
        }
    }

    public static void main(String[] args) throws Exception {
        FleetBenchmark benchmark = new FleetBenchmark(args);
        Runtime.getRuntime().addShutdownHook(new Thread(benchmark::stopAll, "stop-benchmark-processes"));
        benchmark.run();
        System.exit(0);
    }

    private void run() throws Exception {
        Files.createDirectories(work);
        log("work directory " + work + " (logs of every process)");
        try (ControlPlane plane = ControlPlane.start(work)) {
            this.plane = plane;
            log("kube-apiserver " + plane.url() + " (pid " + plane.apiServerPid() + "), etcd pid " + plane.etcdPid());
            try {
                measure(plane);
            } finally {
                // The operators and the simulator first, while the API server they talk to still runs.
                stopAll();
            }
        }
    }

    private void measure(ControlPlane plane) throws Exception {
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(plane.kubeconfig()))).build()) {
            installCrds(client);
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
            client.serviceAccounts().inNamespace(NAMESPACE).resource(new ServiceAccountBuilder().withNewMetadata()
                    .withName(FleetPods.SERVICE_ACCOUNT).endMetadata().build()).create();
            List<Process> operators = new ArrayList<>();
            for (int i = 0; i < operatorCount; i++) {
                operators.add(startOperator(plane, i));
            }
            client.genericKubernetesResources("sluice.dev/v1alpha1", "RateLimitPolicy").inNamespace(NAMESPACE).resource(policy()).create();
            int reportPort = ControlPlane.freePort();
            int controlPort = ControlPlane.freePort();
            long podsStart = System.nanoTime();
            List<FleetPods.FleetPod> pods = FleetPods.create(client, NAMESPACE, podCount, reportPort, work.resolve("tokens"));
            log(podCount + " injected pods running with their tokens in " + seconds(podsStart));
            Path podsFile = work.resolve("pods.txt");
            Files.write(podsFile, pods.stream().map(FleetPods.FleetPod::line).toList());
            long fleetStart = System.nanoTime();
            Process fleet = start("simulator", List.of(java(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    SidecarFleet.class.getName(), "--api-server", plane.url().toString(), "--ca", plane.caFile().toString(),
                    "--namespace", NAMESPACE, "--pods", podsFile.toString(), "--report-port", String.valueOf(reportPort),
                    "--control-port", String.valueOf(controlPort)), List.of());
            URI fleetControl = URI.create("http://127.0.0.1:" + controlPort);
            awaitFleet(fleet, fleetControl);
            log(podCount + " sidecars watching, each with its document, " + seconds(fleetStart) + " after the simulator started");
            List<Measured> measured = new ArrayList<>(List.of(new Measured("kube-apiserver", plane.apiServerPid()),
                    new Measured("etcd", plane.etcdPid())));
            List<String> roles = operatorRoles(client, operators.size());
            for (int i = 0; i < operators.size(); i++) {
                measured.add(new Measured(roles.get(i), operators.get(i).pid()));
            }
            measured.add(new Measured("simulator (" + podCount + " sidecars)", fleet.pid()));
            measured.add(new Measured("benchmark driver", ProcessHandle.current().pid()));
            try (Observer observer = new Observer(client, NAMESPACE, POLICY, RULE, podCount, clock);
                 UsageMeter meter = new UsageMeter(measured)) {
                for (int i = 0; i < WARMUP_PATCHES; i++) {
                    patchOnce(client, observer, fleetControl);
                }
                log("warm-up: " + WARMUP_PATCHES + " patches");
                Figures figures = new Figures(podCount);
                meter.start();
                for (int i = 0; i < patches; i++) {
                    figures.add(patchOnce(client, observer, fleetControl), observer.liveStatus());
                }
                Phase patchPhase = meter.stop();
                long reportsBefore = fleetStatus(fleetControl).path("reportsServed").asLong();
                meter.start();
                Thread.sleep(steadySeconds * 1000L);
                Phase steadyPhase = meter.stop();
                long reports = fleetStatus(fleetControl).path("reportsServed").asLong() - reportsBefore;
                figures.print(operatorCount, observer.liveStatus(), patchPhase, steadyPhase, reports);
            }
        }
    }

    /** Patches the limit, waits for every sidecar to receive it (and for the status, when live), returns the times from the patch. */
    private Figures.PatchTimes patchOnce(KubernetesClient client, Observer observer, URI fleetControl) throws Exception {
        long limit = nextLimit++;
        String patch = "[{\"op\":\"replace\",\"path\":\"/spec/rules/0/limits/0/requests\",\"value\":" + limit + "}]";
        long patchedAt = nowMicros();
        GenericKubernetesResource patched = client.genericKubernetesResources("sluice.dev/v1alpha1", "RateLimitPolicy").inNamespace(NAMESPACE)
                .withName(POLICY).patch(PatchContext.of(PatchType.JSON), patch);
        long generation = patched.getMetadata().getGeneration();
        long deadline = System.nanoTime() + PROPAGATION_LIMIT.toNanos();
        Observer.Seen document = null;
        while (document == null && System.nanoTime() < deadline) {
            document = observer.documentWith(limit);
            if (document == null) {
                Thread.sleep(20);
            }
        }
        if (document == null) {
            throw new IllegalStateException("the operator did not render limit " + limit + " into the ConfigMap within " + PROPAGATION_LIMIT
                    + "; see " + work.resolve("operator-0.log"));
        }
        JsonNode arrivals = null;
        while (System.nanoTime() < deadline) {
            arrivals = get(fleetControl.resolve("/fleet/arrivals?generation=" + document.generation()));
            if (arrivals.path("pending").asInt() == 0) {
                break;
            }
            Thread.sleep(100);
        }
        List<Double> delivery = new ArrayList<>();
        arrivals.path("arrivalMicros").forEach(at -> delivery.add((at.asLong() - patchedAt) / 1000.0));
        int missing = arrivals.path("pending").asInt();
        if (missing > 0) {
            log("patch to limit " + limit + ": " + missing + " sidecars without document generation " + document.generation() + " after "
                    + PROPAGATION_LIMIT + ", e.g. " + arrivals.path("pendingExamples"));
        }
        long statusDeadline = System.nanoTime() + STATUS_LIMIT.toNanos();
        while (System.nanoTime() < statusDeadline && (observer.ready(generation) == null
                || observer.liveStatus() && observer.enforced(generation) == null)) {
            Thread.sleep(20);
        }
        Observer.Seen ready = observer.ready(generation);
        Observer.Seen enforced = observer.enforced(generation);
        Thread.sleep(BETWEEN_PATCHES.toMillis());
        return new Figures.PatchTimes(delivery, missing, (document.epochMicros() - patchedAt) / 1000.0,
                ready == null ? Double.NaN : (ready.epochMicros() - patchedAt) / 1000.0,
                enforced == null ? Double.NaN : (enforced.epochMicros() - patchedAt) / 1000.0);
    }

    private void installCrds(KubernetesClient client) throws IOException, InterruptedException {
        List<Path> files;
        try (Stream<Path> listed = Files.list(crds)) {
            files = listed.filter(file -> file.toString().endsWith(".yml") || file.toString().endsWith(".yaml")).sorted().toList();
        }
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
                client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
                client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                        .waitUntilCondition(this::established, 30, TimeUnit.SECONDS);
            }
        }
        log("CRDs established: " + files.stream().map(file -> file.getFileName().toString()).collect(Collectors.joining(", ")));
    }

    private boolean established(CustomResourceDefinition crd) {
        return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null && crd.getStatus().getConditions().stream()
                .anyMatch(condition -> "Established".equals(condition.getType()) && "True".equals(condition.getStatus()));
    }

    private static GenericKubernetesResource policy() {
        GenericKubernetesResource policy = new GenericKubernetesResource();
        policy.setApiVersion("sluice.dev/v1alpha1");
        policy.setKind("RateLimitPolicy");
        policy.setMetadata(new ObjectMetaBuilder().withName(POLICY).withNamespace(NAMESPACE).build());
        policy.setAdditionalProperty("spec", Map.of(
                "podSelector", Map.of("matchLabels", Map.of(FleetPods.APP_LABEL, FleetPods.APP)),
                "mode", "Enforce",
                "scope", "Local",
                "rules", List.of(Map.of("name", RULE, "limits", List.of(Map.of("requests", FIRST_LIMIT - 1, "period", "1s"))))));
        return policy;
    }

    private Process startOperator(ControlPlane plane, int index) throws IOException, InterruptedException {
        int httpPort = ControlPlane.freePort();
        List<String> command = new ArrayList<>(List.of(java(), "-XX:MaxRAM=" + operatorMaxRam, "-jar", operatorJar.toString(),
                "--namespaces=" + NAMESPACE, "--http-port=" + httpPort, "--webhook=false", "--injection=false",
                "--leader-election=" + (operatorCount > 1), "--lease-namespace=" + NAMESPACE));
        Process operator = start("operator-" + index, command, List.of("KUBECONFIG=" + plane.kubeconfig(), "HOSTNAME=fleet-operator-" + index));
        URI ready = URI.create("http://127.0.0.1:" + httpPort + "/readyz");
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!operator.isAlive()) {
                throw new IllegalStateException("operator-" + index + " stopped at start; see " + work.resolve("operator-" + index + ".log"));
            }
            try {
                if (control.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    log("operator-" + index + " ready (pid " + operator.pid() + ")");
                    return operator;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("operator-" + index + " not ready within 90 s; see " + work.resolve("operator-" + index + ".log"));
    }

    /** The operators' names for the figures: with two, which one holds the Lease (the other follows). */
    private static List<String> operatorRoles(KubernetesClient client, int count) throws InterruptedException {
        if (count == 1) {
            return List.of("operator");
        }
        for (int attempt = 0; attempt < 100; attempt++) {
            Lease lease = client.leases().inNamespace(NAMESPACE).withName("sluice-operator").get();
            String holder = lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
            if (holder != null && holder.startsWith("fleet-operator-")) {
                int leader = Integer.parseInt(holder.substring("fleet-operator-".length()));
                List<String> roles = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    roles.add("operator-" + i + (i == leader ? " (leader)" : " (follower)"));
                }
                return roles;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no operator holds the Lease " + NAMESPACE + "/sluice-operator after 20 s");
    }

    private void awaitFleet(Process fleet, URI fleetControl) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        JsonNode status = null;
        while (System.nanoTime() < deadline) {
            if (!fleet.isAlive()) {
                throw new IllegalStateException("the simulator stopped; see " + work.resolve("simulator.log"));
            }
            try {
                status = fleetStatus(fleetControl);
                if (status.path("withDocument").asInt() == podCount && status.path("connected").asInt() == podCount) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the sidecars did not all watch with a document within 180 s: " + status + "; see " + work.resolve("simulator.log"));
    }

    private JsonNode fleetStatus(URI fleetControl) throws IOException, InterruptedException {
        return get(fleetControl.resolve("/fleet/status"));
    }

    private JsonNode get(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = control.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(uri + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    private Process start(String name, List<String> command, List<String> environment) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile());
        for (String variable : environment) {
            String[] parts = variable.split("=", 2);
            builder.environment().put(parts[0], parts[1]);
        }
        Process process = builder.start();
        started.add(process);
        return process;
    }

    private void stopAll() {
        List<Process> processes;
        synchronized (started) {
            processes = new ArrayList<>(started);
            started.clear();
        }
        Collections.reverse(processes);
        processes.forEach(process -> Processes.stop(process, Duration.ofSeconds(10)));
        ControlPlane running = plane;
        if (running != null) {
            running.close();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private long nowMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, clock.instant());
    }

    private static String seconds(long sinceNanos) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - sinceNanos) / 1e9);
    }

    private static void log(String message) {
        System.out.println(Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + message);
    }
}
