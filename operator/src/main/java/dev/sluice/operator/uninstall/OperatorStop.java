package dev.sluice.operator.uninstall;

import dev.sluice.operator.uninstall.UninstallSettings.ObjectName;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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

    /** How long one watch for the pods' end lasts before they are listed again. */
    static final Duration RECHECK = Duration.ofSeconds(2);

    private final KubernetesClient client;
    private final Clock clock;

    OperatorStop(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
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
        LabelSelector selector = current.getSpec().getSelector();
        Instant deadline = clock.instant().plus(timeout);
        List<String> left = podNames(deployment, selector);
        while (!left.isEmpty()) {
            Duration remaining = Duration.between(clock.instant(), deadline);
            if (remaining.isNegative() || remaining.isZero()) {
                throw new UninstallFailure("the pods of Deployment " + deployment + " were still there after " + timeout.toSeconds()
                        + "s: " + left + "; nothing was released, as a running operator would undo it");
            }
            LOG.info("Waiting for the pods of Deployment {} to go: {}", deployment, left);
            awaitNoPod(deployment, selector, remaining.compareTo(RECHECK) < 0 ? remaining : RECHECK);
            left = podNames(deployment, selector);
        }
        LOG.info("The pods of Deployment {} are gone: no operator runs", deployment);
    }

    /**
     * Waits until a watch shows no pod left, or {@code wait} has passed: the caller lists again either way,
     * as a watch may miss a deletion between its list and its start on a server that does not replay it.
     */
    private void awaitNoPod(ObjectName deployment, LabelSelector selector, Duration wait) {
        CompletableFuture<List<Pod>> gone = client.pods().inNamespace(deployment.namespace()).withLabelSelector(selector)
                .informOnCondition(List::isEmpty);
        try {
            gone.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // listed again by the caller
        } catch (ExecutionException e) {
            throw new UninstallFailure("could not watch the pods of Deployment " + deployment + ": " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UninstallFailure("interrupted while waiting for the pods of Deployment " + deployment + " to go");
        } finally {
            gone.cancel(true);
        }
    }

    private List<String> podNames(ObjectName deployment, LabelSelector selector) {
        return client.pods().inNamespace(deployment.namespace()).withLabelSelector(selector).list().getItems().stream()
                .map(pod -> pod.getMetadata().getName()).sorted().toList();
    }
}
