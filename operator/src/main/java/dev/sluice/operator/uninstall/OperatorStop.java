package dev.sluice.operator.uninstall;

import dev.sluice.operator.uninstall.UninstallSettings.ObjectName;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the operator before anything is released: its Deployment scaled to 0, and a wait until its
 * pods are gone. A replica still running would undo the rest (JOSDK adds a missing finalizer back on
 * the next reconciliation, the webhook suspends new Jobs, the reconciler labels namespaces again).
 */
final class OperatorStop {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorStop.class);

    private final KubernetesClient client;

    OperatorStop(KubernetesClient client) {
        this.client = client;
    }

    /** @throws UninstallFailure when the Deployment cannot be scaled or its pods are still there after {@code timeout} */
    void stop(ObjectName deployment, Duration timeout) {
        Deployment current = client.apps().deployments().inNamespace(deployment.namespace()).withName(deployment.name()).get();
        if (current == null) {
            LOG.info("Deployment {} not found: no operator to stop", deployment);
            return;
        }
        Integer replicas = current.getSpec().getReplicas();
        if (replicas == null || replicas != 0) {
            client.apps().deployments().inNamespace(deployment.namespace()).withName(deployment.name())
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":0}}");
            LOG.info("Scaled Deployment {} from {} replicas to 0", deployment, replicas == null ? 1 : replicas);
        } else {
            LOG.info("Deployment {} is scaled to 0 already", deployment);
        }
        // Watched, not polled: the future completes as soon as the informer sees no pod left.
        CompletableFuture<List<Pod>> gone = client.pods().inNamespace(deployment.namespace())
                .withLabelSelector(current.getSpec().getSelector())
                .informOnCondition(List::isEmpty);
        try {
            gone.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("The pods of Deployment {} are gone: no operator runs", deployment);
        } catch (TimeoutException e) {
            List<String> left = client.pods().inNamespace(deployment.namespace()).withLabelSelector(current.getSpec().getSelector())
                    .list().getItems().stream().map(pod -> pod.getMetadata().getName()).toList();
            throw new UninstallFailure("the pods of Deployment " + deployment + " were still there after " + timeout.toSeconds()
                    + "s: " + left + "; nothing was released, as a running operator would undo it");
        } catch (ExecutionException e) {
            throw new UninstallFailure("could not watch the pods of Deployment " + deployment + ": " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UninstallFailure("interrupted while waiting for the pods of Deployment " + deployment + " to go");
        } finally {
            gone.cancel(true);
        }
    }
}
