package dev.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/** {@code java -jar sluice-operator.jar [options]}: runs the operator against the current kubeconfig (or the in-cluster config). */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        OperatorSettings settings;
        try {
            settings = OperatorSettings.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        // Read by logback.xml; a system property wins over the environment variable of the same name.
        System.setProperty("SLUICE_LOG_LEVEL", settings.logLevel());
        if (settings.jsonLogs() && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
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
}
