package dev.sluice.operator.webhook;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * The user name the operator's requests reach the API server as (in a cluster,
 * {@code system:serviceaccount:<namespace>:<name>}), asked of the API server itself with a
 * SelfSubjectReview (GA in Kubernetes 1.28; every authenticated user may create one). The Job update
 * webhook lets exactly that user resume Jobs.
 */
public final class OperatorIdentity {
    private static final ResourceDefinitionContext SELF_SUBJECT_REVIEWS = new ResourceDefinitionContext.Builder()
            .withGroup("authentication.k8s.io").withVersion("v1").withKind("SelfSubjectReview").withPlural("selfsubjectreviews")
            .withNamespaced(false).build();

    private OperatorIdentity() {
    }

    public static String username(KubernetesClient client) {
        GenericKubernetesResource review = new GenericKubernetesResourceBuilder()
                .withApiVersion("authentication.k8s.io/v1").withKind("SelfSubjectReview").withNewMetadata().endMetadata().build();
        try {
            GenericKubernetesResource answer = client.genericKubernetesResources(SELF_SUBJECT_REVIEWS).resource(review).create();
            Object username = answer.get("status", "userInfo", "username");
            if (username instanceof String name && !name.isBlank()) {
                return name;
            }
            throw new IllegalStateException("the API server's SelfSubjectReview names no user: " + answer.get("status"));
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("cannot learn the operator's own user name from a SelfSubjectReview (" + e.getMessage()
                    + "); the Job update webhook must let it, and only it, resume Jobs", e);
        }
    }
}
