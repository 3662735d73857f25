package dev.sluice.operator.inject;

import dev.sluice.api.inject.InjectionNames;
import dev.sluice.operator.inject.PodInjector.Injected;
import dev.sluice.operator.inject.PodInjector.Result;
import dev.sluice.operator.inject.PodInjector.Skipped;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mutating admission webhook for pod creation, at {@link #PATH}: one handler for the chart's three
 * webhook entries (namespace enabled, namespace required, pod opt-in). It reads the namespace's mode
 * itself, asks the {@link PodInjector} (with the namespace's Services, read only for a pod it injects) and
 * answers with the JSON Patch, or with the pod unchanged and the reason as a warning. It has no side
 * effects, so a dry run is answered the same way.
 *
 * <p>When it cannot decide (the namespaces not read yet, an unexpected error) it refuses the pod (500) where
 * the namespace requires the sidecar, or its mode is unknown: that is what {@code failurePolicy: Fail}
 * does when the operator is down, and the controller creating the pod retries. Elsewhere the pod is
 * admitted without the sidecar, with a warning, as {@code failurePolicy: Ignore} would.
 */
public final class PodInjectionWebhook {
    /** Where the webhook server serves it; the chart's MutatingWebhookConfiguration calls it there. */
    public static final String PATH = "/pods/inject";
    private static final Logger LOG = LoggerFactory.getLogger(PodInjectionWebhook.class);

    private final PodInjector injector;
    private final Function<String, NamespaceMode> modes;
    private final NamespaceServices services;
    private final InjectionMetrics metrics;
    private final KubernetesSerialization serialization;

    /**
     * @param modes the mode of a namespace; throws when it cannot be known
     * @param services the Services of a namespace, read at each injection so that one created just before the pod counts
     */
    public PodInjectionWebhook(PodInjector injector, Function<String, NamespaceMode> modes, NamespaceServices services, InjectionMetrics metrics,
            KubernetesSerialization serialization) {
        this.injector = injector;
        this.modes = modes;
        this.services = services;
        this.metrics = metrics;
        this.serialization = serialization;
    }

    /** The answer to one admission request. */
    public AdmissionResponse respond(AdmissionRequest request) {
        AdmissionResponseBuilder response = new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(true);
        if (!"CREATE".equals(request.getOperation()) || !(request.getObject() instanceof Pod)
                && (request.getKind() == null || !"Pod".equals(request.getKind().getKind()))) {
            return response.build();
        }
        boolean dryRun = Boolean.TRUE.equals(request.getDryRun());
        String namespace = request.getNamespace();
        Pod pod;
        NamespaceMode mode;
        try {
            pod = request.getObject() instanceof Pod typed ? typed : serialization.convertValue(request.getObject(), Pod.class);
            if (namespace == null) {
                namespace = pod.getMetadata().getNamespace();
            }
            mode = modes.apply(namespace);
        } catch (RuntimeException e) {
            return failed(request, response, namespace, null, "namespace_unknown", e, dryRun);
        }
        Result result;
        List<Map<String, Object>> patch;
        try {
            result = injector.inject(pod, namespace, mode, services);
            patch = PodPatch.between(pod, result.pod(), serialization);
        } catch (RuntimeException e) {
            return failed(request, response, namespace, mode, "error", e, dryRun);
        }
        if (!dryRun) {
            if (result instanceof Injected) {
                metrics.injected();
            } else if (result instanceof Skipped skipped) {
                metrics.skipped(skipped.reason());
                if (skipped.reason().annotates()) {
                    LOG.debug("Pod {} in namespace {} not injected: {}", podName(request, pod), namespace, skipped.message());
                }
            }
        }
        if (!result.warnings().isEmpty()) {
            response.withWarnings(result.warnings());
        }
        if (patch.isEmpty()) {
            return response.build();
        }
        return response.withPatchType("JSONPatch")
                .withPatch(Base64.getEncoder().encodeToString(serialization.asJson(patch).getBytes(StandardCharsets.UTF_8)))
                .build();
    }

    private AdmissionResponse failed(AdmissionRequest request, AdmissionResponseBuilder response, String namespace, NamespaceMode mode, String reason,
            RuntimeException e, boolean dryRun) {
        if (!dryRun) {
            metrics.failed(reason);
        }
        String what = "Sluice could not decide on injecting its sidecar into pod " + podName(request, null) + " in namespace " + namespace
                + " (" + e.getMessage() + ")";
        if (mode == null || mode == NamespaceMode.REQUIRED) {
            LOG.warn("{}: refused, as the namespace requires the sidecar or its {} label is not known", what, InjectionNames.LABEL, e);
            return response.withAllowed(false).withStatus(new StatusBuilder().withCode(500).withReason("InternalError")
                    .withMessage(what + "; the pod is refused, as its namespace may require the sidecar; retry").build()).build();
        }
        LOG.warn("{}: admitted without the sidecar", what, e);
        return response.withWarnings(what + ": the pod runs without the sidecar; delete it to have it injected").build();
    }

    private static String podName(AdmissionRequest request, Pod pod) {
        if (request.getName() != null && !request.getName().isEmpty()) {
            return request.getName();
        }
        if (pod != null && pod.getMetadata().getName() != null) {
            return pod.getMetadata().getName();
        }
        return pod != null && pod.getMetadata().getGenerateName() != null ? pod.getMetadata().getGenerateName() + "*" : "(unnamed)";
    }
}
