package dev.sluice.operator;

import dev.sluice.operator.uninstall.Uninstall;
import dev.sluice.operator.uninstall.UninstallFailure;
import dev.sluice.operator.uninstall.UninstallSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar sluice-operator.jar [options]}: runs the operator against the current kubeconfig (or the
 * in-cluster config). {@code java -jar sluice-operator.jar uninstall [options]}: stops it and releases what
 * it holds ({@link Uninstall}), as the chart's pre-delete hook does.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && UninstallSettings.COMMAND.equals(args[0])) {
            System.exit(uninstall(Arrays.copyOfRange(args, 1, args.length)));
        }
        OperatorSettings settings;
        try {
            settings = OperatorSettings.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        configureLogging(settings.logLevel(), settings.jsonLogs());
        KubernetesClient client = new KubernetesClientBuilder().build();
        SluiceOperator operator = SluiceOperator.start(client, settings, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LoggerFactory.getLogger(Main.class).info("Stopping the Sluice operator");
            operator.close();
            client.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }

    /** The exit code of {@code uninstall}: 0 when everything was released, 1 when something was not (each said why), 2 on bad flags. */
    static int uninstall(String[] args) {
        UninstallSettings settings;
        try {
            settings = UninstallSettings.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        configureLogging(settings.logLevel(), settings.jsonLogs());
        Logger log = LoggerFactory.getLogger(Uninstall.class);
        try (KubernetesClient client = new KubernetesClientBuilder().build()) {
            List<String> failures = new Uninstall(client, settings, Clock.systemUTC()).run();
            if (failures.isEmpty()) {
                log.info("Sluice released everything it held; its resources and CRDs stay (delete them with kubectl delete -f crds/)");
                return 0;
            }
            log.error("Sluice could not release everything it holds; run the uninstall again once this is fixed:\n  {}",
                    String.join("\n  ", failures));
            return 1;
        } catch (UninstallFailure e) {
            log.error("Sluice could not be uninstalled: {}", e.getMessage());
            return 1;
        } catch (KubernetesClientException e) {
            log.error("Sluice could not be uninstalled: {}", e.getMessage());
            return 1;
        }
    }

    /** Read by logback.xml; a system property wins over the environment variable of the same name. Before the first logger. */
    private static void configureLogging(String level, boolean json) {
        System.setProperty("SLUICE_LOG_LEVEL", level);
        if (json && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
    }
}
