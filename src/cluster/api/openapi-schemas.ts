// The component schemas the OpenAPI v3 documents publish. kubectl reads them for `kubectl explain`
// (descriptions, types, enums) and, for built-in kinds, for strategic-merge-patch metadata
// (`x-kubernetes-patch-merge-key`). They document; the REST layer validates on its own. Pod
// templates and built-in kinds are described at the depth users usually explore; MPIJob's spec
// and status are complete, from the mpi-operator v2beta1 API.

export type Schema = { [key: string]: unknown };

export const SCHEMA_PREFIX = {
  meta: 'io.k8s.apimachinery.pkg.apis.meta.v1.',
  core: 'io.k8s.api.core.v1.',
  batch: 'io.k8s.api.batch.v1.',
  kubeflow: 'org.kubeflow.v2beta1.',
} as const;

export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

const M = SCHEMA_PREFIX.meta;
const C = SCHEMA_PREFIX.core;
const B = SCHEMA_PREFIX.batch;

const PATCH_STRATEGY = 'x-kubernetes-patch-strategy';
const PATCH_MERGE_KEY = 'x-kubernetes-patch-merge-key';
const LIST_TYPE = 'x-kubernetes-list-type';
const LIST_MAP_KEYS = 'x-kubernetes-list-map-keys';

export const COMPONENT_REF_PREFIX = '#/components/schemas/';

export function ref(name: string): Schema {
  return { $ref: `${COMPONENT_REF_PREFIX}${name}` };
}

/** A reference with its own description, the way the real documents wrap `$ref`s. */
export function described(name: string, description: string, extra: Schema = {}): Schema {
  return { description, allOf: [ref(name)], ...extra };
}

export function str(description: string, extra: Schema = {}): Schema {
  return { type: 'string', description, ...extra };
}

function enumOf(description: string, values: string[], extra: Schema = {}): Schema {
  return { type: 'string', description, enum: values, ...extra };
}

function int32(description: string, extra: Schema = {}): Schema {
  return { type: 'integer', format: 'int32', description, ...extra };
}

function int64(description: string, extra: Schema = {}): Schema {
  return { type: 'integer', format: 'int64', description, ...extra };
}

function bool(description: string, extra: Schema = {}): Schema {
  return { type: 'boolean', description, ...extra };
}

function time(description: string): Schema {
  return described(`${M}Time`, description);
}

function stringMap(description: string): Schema {
  return { type: 'object', description, additionalProperties: { type: 'string', default: '' } };
}

function quantityMap(description: string): Schema {
  return { type: 'object', description, additionalProperties: ref(QUANTITY) };
}

function stringList(description: string, extra: Schema = {}): Schema {
  return { type: 'array', description, items: { type: 'string', default: '' }, [LIST_TYPE]: 'atomic', ...extra };
}

/** A list merged by `key` under strategic merge patch (containers by name, ports by port...). */
function keyedList(item: string, key: string, description: string): Schema {
  return {
    type: 'array',
    description,
    items: { allOf: [ref(item)], default: {} },
    [PATCH_STRATEGY]: 'merge',
    [PATCH_MERGE_KEY]: key,
    [LIST_TYPE]: 'map',
    [LIST_MAP_KEYS]: [key],
  };
}

function atomicList(item: string, description: string): Schema {
  return { type: 'array', description, items: { allOf: [ref(item)], default: {} }, [LIST_TYPE]: 'atomic' };
}

export function object(description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return { type: 'object', description, properties, ...extra };
}

/** An object documented by description only: accepted as is, its fields not listed. */
export function looseObject(description: string): Schema {
  return { type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true };
}

// ---------------------------------------------------------------------------------------------
// Descriptions shared by every kind

export const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers convert recognized schemas to the latest internal value and may reject unrecognized values.';
export const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents, in CamelCase. Servers may infer it from the endpoint the client submits requests to. Cannot be updated.';
export const METADATA_DESCRIPTION = "Standard object's metadata: name, namespace, labels, annotations and the fields the server sets.";
export const LIST_METADATA_DESCRIPTION = 'Standard list metadata: the resourceVersion of the list and the continue token for the next page.';

// ---------------------------------------------------------------------------------------------
// apimachinery

const META_SCHEMAS: Record<string, Schema> = {
  [`${M}Time`]: {
    type: 'string',
    format: 'date-time',
    description: 'Time is an RFC 3339 timestamp with whole seconds, such as 2026-11-28T10:00:00Z.',
  },
  [`${M}MicroTime`]: {
    type: 'string',
    format: 'date-time',
    description: 'MicroTime is an RFC 3339 timestamp with microseconds, such as 2026-11-28T10:00:00.123456Z.',
  },
  [QUANTITY]: {
    type: 'string',
    description:
      'Quantity is a fixed-point representation of a number, written as a string: a plain number ("2"), a decimal SI suffix ("500m", "1k", "1G") or a binary suffix ("1Ki", "1Gi").',
  },
  [INT_OR_STRING]: {
    type: 'string',
    format: 'int-or-string',
    description: 'IntOrString holds either an integer or a string, for example a port number or a port name.',
  },
  [`${M}ObjectMeta`]: object(
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
    {
      name: str(
        'Name must be unique within a namespace. It is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Cannot be updated.',
      ),
      generateName: str(
        'GenerateName is an optional prefix used by the server to generate a unique name when Name is not provided; a random suffix is appended to it.',
      ),
      namespace: str(
        'Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace. Cluster-scoped objects have no namespace. Cannot be updated.',
      ),
      uid: str('UID is the unique identifier of this object in time and space, set by the server on creation. Read-only.'),
      resourceVersion: str(
        'An opaque value that represents the internal version of this object. Clients use it for optimistic concurrency, change detection and watches, and must pass it back unmodified. Read-only.',
      ),
      generation: int64('A sequence number representing a specific generation of the desired state, set by the server. Read-only.'),
      creationTimestamp: time('The server time when this object was created. Set by the server. Read-only.'),
      deletionTimestamp: time(
        'The time at which this object will be deleted, set by the server when a graceful deletion is requested. Read-only.',
      ),
      deletionGracePeriodSeconds: int64('Number of seconds allowed for this object to terminate gracefully before it is removed. Read-only.'),
      labels: stringMap('Map of string keys and values that can be used to organize and categorize (scope and select) objects.'),
      annotations: stringMap('Unstructured key value map stored with a resource, for arbitrary metadata that is not queryable.'),
      ownerReferences: keyedList(
        `${M}OwnerReference`,
        'uid',
        'List of objects this object depends on. When all owners are deleted, the garbage collector deletes this object.',
      ),
      finalizers: stringList(
        'Must be empty before the object is deleted from the registry. Each entry identifies a component responsible for cleaning up before deletion.',
        { [PATCH_STRATEGY]: 'merge', [LIST_TYPE]: 'set' },
      ),
      managedFields: atomicList(
        `${M}ManagedFieldsEntry`,
        'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow. Internal to the server.',
      ),
    },
  ),
  [`${M}OwnerReference`]: object(
    'OwnerReference identifies an owning object. The owner must be in the same namespace as the dependent, or cluster-scoped.',
    {
      apiVersion: str('API version of the referent.'),
      kind: str('Kind of the referent.'),
      name: str('Name of the referent.'),
      uid: str('UID of the referent.'),
      controller: bool('If true, this reference points to the managing controller.'),
      blockOwnerDeletion: bool('If true, the owner cannot be deleted from storage until this reference is removed (foreground deletion).'),
    },
    { required: ['apiVersion', 'kind', 'name', 'uid'], 'x-kubernetes-map-type': 'atomic' },
  ),
  [`${M}ManagedFieldsEntry`]: object('ManagedFieldsEntry records the fields one field manager owns.', {
    manager: str('The identifier of the workflow managing these fields.'),
    operation: str('The type of operation which lead to this entry being created: Apply or Update.'),
    apiVersion: str('The version of the resource that this field set applies to.'),
    time: time('When this entry was last changed.'),
    fieldsType: str('The discriminator for the format of fieldsV1; the only value is "FieldsV1".'),
    fieldsV1: looseObject('The set of fields, as a trie of field paths.'),
    subresource: str('The subresource used to update this object, empty for the main resource.'),
  }),
  [`${M}ListMeta`]: object('ListMeta describes metadata that synthetic resources must have, including lists.', {
    resourceVersion: str('The version of the list: start a watch from it to receive every later change.'),
    continue: str('Set when more results are available: pass it as the continue parameter to get the next page.'),
    remainingItemCount: int64('The number of items after this page, when the server can compute it.'),
  }),
  [`${M}LabelSelector`]: object(
    'A label selector is a label query over a set of resources. The matchLabels and matchExpressions requirements are ANDed. An empty selector matches all objects.',
    {
      matchLabels: stringMap('A map of {key,value} pairs; each is equivalent to an expression with operator In and a single value.'),
      matchExpressions: atomicList(`${M}LabelSelectorRequirement`, 'A list of label selector requirements. The requirements are ANDed.'),
    },
    { 'x-kubernetes-map-type': 'atomic' },
  ),
  [`${M}LabelSelectorRequirement`]: object(
    'A selector requirement: a key, an operator (In, NotIn, Exists, DoesNotExist) and values.',
    {
      key: str('The label key that the selector applies to.'),
      operator: str("The key's relationship to the values: In, NotIn, Exists or DoesNotExist."),
      values: stringList('Values for In and NotIn; must be empty for Exists and DoesNotExist.'),
    },
    { required: ['key', 'operator'] },
  ),
  [`${M}Status`]: object('Status is the return value for calls that do not return other objects, and for every error.', {
    apiVersion: str(API_VERSION_DESCRIPTION),
    kind: str(KIND_DESCRIPTION),
    metadata: described(`${M}ListMeta`, LIST_METADATA_DESCRIPTION),
    status: str('Status of the operation: "Success" or "Failure".'),
    message: str('A human-readable description of the status of this operation.'),
    reason: str('A machine-readable description of why this operation is in the "Failure" status (NotFound, Conflict, Invalid...).'),
    details: looseObject('Extended data associated with the reason: name, group, kind, causes.'),
    code: int32('Suggested HTTP return code for this status.'),
  }),
  [`${M}DeleteOptions`]: object('DeleteOptions may be provided when deleting an API object.', {
    apiVersion: str(API_VERSION_DESCRIPTION),
    kind: str(KIND_DESCRIPTION),
    dryRun: stringList('When present, the modifications are not persisted. The only valid value is "All".'),
    gracePeriodSeconds: int64('The duration in seconds before the object should be deleted. Zero means delete immediately.'),
    preconditions: looseObject('Must be fulfilled before a deletion is carried out: uid and resourceVersion.'),
    propagationPolicy: str('Whether and how garbage collection is performed: Orphan, Background or Foreground.'),
  }),
  [`${M}Patch`]: {
    type: 'object',
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  },
};

// ---------------------------------------------------------------------------------------------
// core/v1

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];

const CORE_SCHEMAS: Record<string, Schema> = {
  [`${C}PodTemplateSpec`]: object('PodTemplateSpec describes the data a pod should have when created from a template.', {
    metadata: described(`${M}ObjectMeta`, "Standard object's metadata, copied to every pod made from this template."),
    spec: described(`${C}PodSpec`, 'Specification of the desired behavior of the pod.'),
  }),
  [`${C}PodSpec`]: object(
    'PodSpec is a description of a pod: its containers, volumes and scheduling constraints.',
    {
      containers: keyedList(
        `${C}Container`,
        'name',
        'List of containers belonging to the pod. There must be at least one. Containers cannot be added or removed once the pod exists.',
      ),
      initContainers: keyedList(
        `${C}Container`,
        'name',
        'List of initialization containers, run in order before the app containers start. An init container with restartPolicy Always is a sidecar that keeps running.',
      ),
      restartPolicy: enumOf('Restart policy for all containers within the pod: Always, OnFailure or Never. Defaults to Always.', RESTART_POLICIES),
      volumes: keyedList(`${C}Volume`, 'name', 'List of volumes that can be mounted by containers belonging to the pod.'),
      nodeName: str('The node this pod is bound to. Set by the scheduler, or by the user to bypass it.'),
      nodeSelector: stringMap('Labels a node must have for the pod to fit on it.'),
      serviceAccountName: str('Name of the ServiceAccount used to run this pod.'),
      hostname: str("The pod's hostname. Defaults to the pod's name."),
      subdomain: str('If set, the pod\'s fully qualified hostname is "<hostname>.<subdomain>.<namespace>.svc.<cluster domain>".'),
      schedulerName: str('The scheduler that dispatches this pod. Defaults to the default scheduler.'),
      priorityClassName: str("The name of the pod's PriorityClass."),
      terminationGracePeriodSeconds: int64('Seconds the pod is given to terminate gracefully after a deletion request. Defaults to 30.'),
      activeDeadlineSeconds: int64('Seconds the pod may be active on a node before the system actively tries to mark it failed.'),
      tolerations: atomicList(`${C}Toleration`, "The pod's tolerations of node taints."),
      affinity: looseObject("The pod's scheduling constraints: node affinity, pod affinity and anti-affinity."),
      securityContext: looseObject('Pod-level security attributes and common container settings.'),
      imagePullSecrets: keyedList(`${C}LocalObjectReference`, 'name', 'Secrets in the same namespace used to pull the images.'),
      readinessGates: atomicList(`${C}PodReadinessGate`, 'Additional conditions evaluated for pod readiness.'),
      hostNetwork: bool("Use the host's network namespace. Defaults to false."),
    },
    { required: ['containers'] },
  ),
  [`${C}Container`]: object(
    'A single application container to run within a pod.',
    {
      name: str('Name of the container, a DNS label unique within the pod. Cannot be updated.'),
      image: str('Container image name, for example "mpioperator/mpi-pi:openmpi".'),
      command: stringList("Entrypoint array, not run in a shell. The image's ENTRYPOINT is used if this is not provided."),
      args: stringList("Arguments to the entrypoint. The image's CMD is used if this is not provided."),
      workingDir: str("The container's working directory. Defaults to the image's."),
      env: keyedList(`${C}EnvVar`, 'name', 'List of environment variables to set in the container.'),
      envFrom: { type: 'array', description: 'Sources (ConfigMaps, Secrets) to populate environment variables from.', items: looseObject('An EnvFromSource.'), [LIST_TYPE]: 'atomic' },
      ports: keyedList(`${C}ContainerPort`, 'containerPort', 'List of ports to expose from the container; informational.'),
      resources: described(`${C}ResourceRequirements`, 'Compute resources (cpu, memory, GPUs) required by this container.'),
      volumeMounts: keyedList(`${C}VolumeMount`, 'mountPath', "Pod volumes to mount into the container's filesystem."),
      imagePullPolicy: enumOf('Image pull policy: Always, Never or IfNotPresent. Defaults to Always for a :latest tag, IfNotPresent otherwise.', [
        'Always',
        'IfNotPresent',
        'Never',
      ]),
      restartPolicy: str('Only for init containers: "Always" makes it a sidecar that runs alongside the app containers.'),
      livenessProbe: looseObject('Periodic probe of container liveness; the container restarts if it fails.'),
      readinessProbe: looseObject('Periodic probe of container service readiness; the container is removed from endpoints if it fails.'),
      startupProbe: looseObject('Probe that must succeed before the other probes start.'),
      securityContext: looseObject('Security options the container should run with.'),
      terminationMessagePath: str("File where the container's termination message is written. Defaults to /dev/termination-log."),
    },
    { required: ['name'] },
  ),
  [`${C}EnvVar`]: object(
    'EnvVar represents an environment variable present in a container.',
    {
      name: str('Name of the environment variable.'),
      value: str('Value of the variable; $(VAR_NAME) references to earlier variables are expanded.'),
      valueFrom: looseObject("Source for the variable's value: a field of the pod, a resource, a ConfigMap or Secret key."),
    },
    { required: ['name'] },
  ),
  [`${C}ContainerPort`]: object(
    'ContainerPort represents a network port in a single container.',
    {
      name: str('An IANA_SVC_NAME unique within the pod, referable by services.'),
      containerPort: int32("Port number on the pod's IP address."),
      protocol: enumOf('Protocol for the port: TCP, UDP or SCTP. Defaults to TCP.', ['SCTP', 'TCP', 'UDP']),
      hostPort: int32('Port number on the host to expose; most containers do not need this.'),
    },
    { required: ['containerPort'] },
  ),
  [`${C}ResourceRequirements`]: object('ResourceRequirements describes the compute resource requirements.', {
    limits: quantityMap('The maximum amount of compute resources allowed, such as cpu: "2" or memory: 4Gi.'),
    requests: quantityMap('The minimum amount of compute resources required; defaults to the limits when omitted.'),
  }),
  [`${C}VolumeMount`]: object(
    'VolumeMount describes a mounting of a volume within a container.',
    {
      name: str('Must match the name of a pod volume.'),
      mountPath: str('Path within the container at which the volume is mounted.'),
      readOnly: bool('Mounted read-only if true. Defaults to false.'),
      subPath: str("Path within the volume from which the container's volume is mounted. Defaults to the volume's root."),
    },
    { required: ['name', 'mountPath'] },
  ),
  [`${C}Volume`]: {
    ...object('Volume represents a named volume in a pod: a ConfigMap, Secret, emptyDir, persistent volume claim, ...', {
      name: str('Name of the volume, a DNS label unique within the pod.'),
      configMap: looseObject('A ConfigMap that populates this volume.'),
      secret: looseObject('A Secret that populates this volume.'),
      emptyDir: looseObject('A temporary directory that shares the pod\'s lifetime.'),
      persistentVolumeClaim: looseObject('A PersistentVolumeClaim in the same namespace.'),
    }),
    required: ['name'],
    'x-kubernetes-preserve-unknown-fields': true,
  },
  [`${C}Toleration`]: object('The pod this Toleration is attached to tolerates any taint that matches key, value and effect.', {
    key: str('The taint key that the toleration applies to. Empty means match all taint keys.'),
    operator: str("A key's relationship to the value: Exists or Equal. Defaults to Equal."),
    value: str('The taint value the toleration matches to.'),
    effect: str('The taint effect to match: NoSchedule, PreferNoSchedule or NoExecute. Empty means all effects.'),
    tolerationSeconds: int64('For NoExecute: how long the pod stays bound to the tainted node.'),
  }),
  [`${C}LocalObjectReference`]: object('A reference to an object in the same namespace.', { name: str('Name of the referent.') }),
  [`${C}PodReadinessGate`]: object(
    'PodReadinessGate contains the reference to a pod condition.',
    { conditionType: str("Refers to a condition in the pod's condition list with a matching type.") },
    { required: ['conditionType'] },
  ),
  [`${C}PodStatus`]: object('PodStatus represents information about the status of a pod, as last observed.', {
    phase: enumOf('A simple, high-level summary of where the pod is in its life cycle.', ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown']),
    conditions: keyedList(`${C}PodCondition`, 'type', 'Current service state of the pod: PodScheduled, Initialized, ContainersReady, Ready.'),
    message: str('A human-readable message indicating details about why the pod is in this condition.'),
    reason: str('A brief CamelCase message indicating details about why the pod is in this state, e.g. "Evicted".'),
    hostIP: str('IP address of the host the pod is assigned to.'),
    podIP: str('IP address allocated to the pod, routable at least within the cluster.'),
    podIPs: atomicList(`${C}PodIP`, 'The IP addresses allocated to the pod; the first one is podIP.'),
    nominatedNodeName: str('The node the scheduler nominated while preempting other pods for this one.'),
    startTime: time('When the pod was acknowledged by the kubelet, before its images were pulled.'),
    initContainerStatuses: atomicList(`${C}ContainerStatus`, 'The status of each init container, in spec order.'),
    containerStatuses: atomicList(`${C}ContainerStatus`, 'The status of each container.'),
    qosClass: str('The Quality of Service class assigned from the resource requirements: Guaranteed, Burstable or BestEffort.'),
  }),
  [`${C}PodIP`]: object('An IP address allocated to the pod.', { ip: str('The IP address.') }),
  [`${C}PodCondition`]: object(
    'PodCondition contains details for the current condition of this pod.',
    {
      type: str('Type of the condition: PodScheduled, Initialized, ContainersReady or Ready.'),
      status: str('Status of the condition: True, False or Unknown.'),
      reason: str("Unique, one-word, CamelCase reason for the condition's last transition."),
      message: str('Human-readable message indicating details about the last transition.'),
      lastProbeTime: time('Last time the condition was probed.'),
      lastTransitionTime: time('Last time the condition transitioned from one status to another.'),
    },
    { required: ['type', 'status'] },
  ),
  [`${C}ContainerStatus`]: object(
    'ContainerStatus contains details for the current status of a container.',
    {
      name: str('Name of the container, as in the pod spec.'),
      ready: bool('Whether the container is currently passing its readiness check.'),
      started: bool('Whether the container has finished its postStart hook and passed its startup probe.'),
      restartCount: int32('The number of times the container has been restarted.'),
      image: str('The image the container is running.'),
      imageID: str("The image's ID."),
      containerID: str("The container's ID in the format '<type>://<container_id>'."),
      state: described(`${C}ContainerState`, "Details about the container's current condition."),
      lastState: described(`${C}ContainerState`, "Details about the container's last termination condition."),
    },
    { required: ['name', 'ready', 'restartCount', 'image', 'imageID'] },
  ),
  [`${C}ContainerState`]: object('The state of a container: exactly one of waiting, running or terminated.', {
    waiting: object('The container is waiting to start.', {
      reason: str('Why the container is not yet running, e.g. ContainerCreating, CrashLoopBackOff, ImagePullBackOff.'),
      message: str('Details about why the container is not yet running.'),
    }),
    running: object('The container is running.', { startedAt: time('When the container was last (re)started.') }),
    terminated: object(
      'The container has terminated.',
      {
        exitCode: int32('Exit status from the last termination of the container.'),
        signal: int32('Signal from the last termination of the container.'),
        reason: str('Reason of the last termination, e.g. Completed, Error, OOMKilled.'),
        message: str('Message regarding the last termination.'),
        startedAt: time('When the container started.'),
        finishedAt: time('When the container last terminated.'),
        containerID: str("The container's ID in the format '<type>://<container_id>'."),
      },
      { required: ['exitCode'] },
    ),
  }),
  [`${C}ObjectReference`]: object('ObjectReference contains enough information to let you inspect or modify the referred object.', {
    apiVersion: str('API version of the referent.'),
    kind: str('Kind of the referent.'),
    namespace: str('Namespace of the referent.'),
    name: str('Name of the referent.'),
    uid: str('UID of the referent.'),
    resourceVersion: str('Specific resourceVersion to which this reference is made, if any.'),
    fieldPath: str('A part of the object rather than the whole, e.g. "spec.containers{launcher}" for a container.'),
  }),
  [`${C}ServicePort`]: object(
    'ServicePort contains information on a service\'s port.',
    {
      name: str('The name of this port within the service; required when there are several ports.'),
      protocol: enumOf('The IP protocol for this port: TCP, UDP or SCTP. Defaults to TCP.', ['SCTP', 'TCP', 'UDP']),
      port: int32('The port that will be exposed by this service.'),
      targetPort: described(INT_OR_STRING, "Number or name of the port to access on the pods targeted by the service. Defaults to 'port'."),
      nodePort: int32('The port on each node on which this service is exposed when type is NodePort or LoadBalancer.'),
      appProtocol: str('The application protocol for this port, a hint for implementations.'),
    },
    { required: ['port'] },
  ),
};

// ---------------------------------------------------------------------------------------------
// Kind bodies: the properties besides apiVersion, kind and metadata, keyed by `group/Kind`.

export interface KindSchema {
  description: string;
  properties: Record<string, Schema>;
  required?: string[];
}

const namespaceKind: KindSchema = {
  description: 'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
  properties: {
    spec: object('Spec defines the behavior of the Namespace.', {
      finalizers: stringList('An opaque list of values that must be empty to permanently remove the namespace from storage.'),
    }),
    status: object('Status describes the current status of a Namespace.', {
      phase: enumOf('The current life-cycle phase of the namespace.', ['Active', 'Terminating']),
      conditions: { type: 'array', description: "The latest available observations of the namespace's state.", items: looseObject('A NamespaceCondition.') },
    }),
  },
};

const nodeKind: KindSchema = {
  description: 'Node is a worker node in Kubernetes. The embedded cluster simulates its nodes.',
  properties: {
    spec: object('Spec defines the behavior of a node.', {
      podCIDR: str('The pod IP range assigned to the node.'),
      providerID: str('ID of the node assigned by the cloud provider.'),
      unschedulable: bool('Unschedulable controls node schedulability of new pods. By default, a node is schedulable.'),
      taints: { type: 'array', description: "The node's taints.", items: looseObject('A taint: key, value and effect.') },
    }),
    status: object('Most recently observed status of the node.', {
      capacity: quantityMap('The total resources of the node.'),
      allocatable: quantityMap('The resources of the node that are available for scheduling.'),
      conditions: {
        type: 'array',
        description: 'Conditions is an array of current observed node conditions (Ready, MemoryPressure, DiskPressure, ...).',
        items: object('NodeCondition contains condition information for a node.', {
          type: str('Type of node condition, e.g. Ready.'),
          status: str('Status of the condition: True, False or Unknown.'),
          reason: str("(brief) reason for the condition's last transition."),
          message: str('Human-readable message indicating details about the last transition.'),
          lastHeartbeatTime: time('Last time the condition was reported.'),
          lastTransitionTime: time('Last time the condition transitioned from one status to another.'),
        }),
        [PATCH_STRATEGY]: 'merge',
        [PATCH_MERGE_KEY]: 'type',
      },
      addresses: { type: 'array', description: 'List of addresses reachable to the node: InternalIP, ExternalIP, Hostname.', items: object('A node address.', { type: str('Node address type.'), address: str('The node address.') }) },
      nodeInfo: looseObject('General information about the node: kubelet version, OS image, kernel, container runtime.'),
    }),
  },
};

const podKind: KindSchema = {
  description: 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
  properties: {
    spec: described(`${C}PodSpec`, 'Specification of the desired behavior of the pod.'),
    status: described(`${C}PodStatus`, 'Most recently observed status of the pod. Read-only: written by the kubelet through the status subresource.'),
  },
};

const eventKind: KindSchema = {
  description: 'Event is a report of an event somewhere in the cluster, such as a scheduling decision or a job state change.',
  properties: {
    involvedObject: described(`${C}ObjectReference`, 'The object that this event is about.'),
    reason: str("A short, machine-understandable string that gives the reason for the transition into the object's current status."),
    message: str('A human-readable description of the status of this operation.'),
    type: str('Type of this event (Normal, Warning); new types could be added in the future.'),
    source: object('The component reporting this event.', { component: str('Component from which the event is generated.'), host: str('Node name on which the event is generated.') }),
    firstTimestamp: time('The time at which the event was first recorded.'),
    lastTimestamp: time('The time at which the most recent occurrence of this event was recorded.'),
    count: int32('The number of times this event has occurred.'),
    eventTime: described(`${M}MicroTime`, 'Time when this event was first observed.'),
    series: looseObject('Data about the event series this event represents, if any: count and lastObservedTime.'),
    action: str('What action was taken or failed regarding the involved object.'),
    related: described(`${C}ObjectReference`, 'Optional secondary object for more complex actions.'),
    reportingComponent: str('Name of the controller that emitted this event, e.g. mpi-operator.'),
    reportingInstance: str('ID of the controller instance.'),
  },
  required: ['metadata', 'involvedObject'],
};

const configMapKind: KindSchema = {
  description: 'ConfigMap holds configuration data for pods to consume.',
  properties: {
    data: stringMap('Data contains the configuration data. Keys must consist of alphanumeric characters, "-", "_" or ".".'),
    binaryData: { type: 'object', description: 'BinaryData contains binary data, base64-encoded.', additionalProperties: { type: 'string', format: 'byte' } },
    immutable: bool('If true, the data stored in the ConfigMap cannot be updated.'),
  },
};

const secretKind: KindSchema = {
  description: 'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than 1 MiB.',
  properties: {
    data: { type: 'object', description: 'Data contains the secret data, each value base64-encoded.', additionalProperties: { type: 'string', format: 'byte' } },
    stringData: stringMap('Write-only convenience: plain-text values merged into data on write.'),
    type: str('Used to facilitate programmatic handling of secret data, e.g. Opaque or kubernetes.io/ssh-auth.'),
    immutable: bool('If true, the data stored in the Secret cannot be updated.'),
  },
};

const serviceKind: KindSchema = {
  description: 'Service is a named abstraction of software service (for example, mysql) consisting of a local port that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
  properties: {
    spec: object('Spec defines the behavior of a service.', {
      type: enumOf('How the Service is exposed. Defaults to ClusterIP.', ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']),
      selector: stringMap('Route service traffic to pods with label keys and values matching this selector.'),
      ports: keyedList(`${C}ServicePort`, 'port', 'The list of ports that are exposed by this service.'),
      clusterIP: str('The IP address of the service, or "None" for a headless service (MPIJob workers use one for DNS).'),
      clusterIPs: stringList('The IP addresses of the service; the first one is clusterIP.'),
      externalIPs: stringList('IP addresses for which nodes in the cluster also accept traffic for this service.'),
      externalName: str('The external reference that discovery mechanisms return as an alias (type ExternalName).'),
      sessionAffinity: enumOf('ClientIP or None. Defaults to None.', ['ClientIP', 'None']),
      publishNotReadyAddresses: bool('Publish DNS records for pods that are not ready yet.'),
    }),
    status: object('Most recently observed status of the service.', {
      loadBalancer: looseObject('The current status of the load balancer, if one is present.'),
      conditions: { type: 'array', description: 'Current service state.', items: looseObject('A condition.') },
    }),
  },
};

const resourceQuotaKind: KindSchema = {
  description: 'ResourceQuota sets aggregate quota restrictions enforced per namespace.',
  properties: {
    spec: object('Spec defines the desired quota.', {
      hard: quantityMap('The set of desired hard limits for each named resource, e.g. pods, requests.cpu, limits.memory, count/mpijobs.kubeflow.org.'),
      scopes: stringList('A collection of filters that must match each object tracked by a quota.'),
      scopeSelector: looseObject('A collection of filters like scopes, written as selector expressions.'),
    }),
    status: object('Status defines the actual enforced quota and its current usage.', {
      hard: quantityMap('The set of enforced hard limits for each named resource.'),
      used: quantityMap('The current observed total usage of the resource in the namespace.'),
    }),
  },
};

const jobKind: KindSchema = {
  description: 'Job represents the configuration of a single job: pods that run to completion. The MPI operator runs each MPIJob launcher as one.',
  properties: {
    spec: object(
      'Specification of the desired behavior of a job.',
      {
        template: described(`${C}PodTemplateSpec`, 'Describes the pod that will be created when executing a job.'),
        parallelism: int32('The maximum desired number of pods the job should run at any given time.'),
        completions: int32('The desired number of successfully finished pods the job should be run with.'),
        activeDeadlineSeconds: int64('Duration in seconds relative to the startTime that the job may be active before the system tries to terminate it.'),
        backoffLimit: int32('The number of retries before marking this job failed. Defaults to 6.'),
        ttlSecondsAfterFinished: int32('Seconds after the job finishes (Complete or Failed) before it is eligible to be deleted automatically.'),
        selector: described(`${M}LabelSelector`, 'A label query over pods that should match the pod count. Normally set by the system.'),
        manualSelector: bool('Controls generation of pod labels and pod selectors; leave unset.'),
        completionMode: enumOf('NonIndexed (the default) or Indexed.', ['Indexed', 'NonIndexed']),
        suspend: bool('Suspend specifies whether the Job controller should create pods or not. Defaults to false.'),
        podReplacementPolicy: enumOf('When to create replacement pods: TerminatingOrFailed or Failed.', ['Failed', 'TerminatingOrFailed']),
        podFailurePolicy: looseObject('Rules that decide how pod failures count towards the backoff limit.'),
        successPolicy: looseObject('When an Indexed job can be declared succeeded.'),
        managedBy: str('The controller that manages the job; empty for the built-in Job controller.'),
      },
      { required: ['template'] },
    ),
    status: object('Current status of a job.', {
      conditions: keyedList(`${B}JobCondition`, 'type', "The latest available observations of the job's state: Complete, Failed, Suspended, ..."),
      startTime: time('When the job controller started processing the job.'),
      completionTime: time('When the job completed; set only on success.'),
      active: int32('The number of pending and running pods.'),
      succeeded: int32('The number of pods which reached phase Succeeded.'),
      failed: int32('The number of pods which reached phase Failed.'),
      ready: int32('The number of active pods which have a Ready condition.'),
      terminating: int32('The number of pods which are terminating.'),
    }),
  },
};

const JOB_SCHEMAS: Record<string, Schema> = {
  [`${B}JobCondition`]: object(
    'JobCondition describes the current state of a job.',
    {
      type: str('Type of job condition: Complete, Failed, Suspended, FailureTarget or SuccessCriteriaMet.'),
      status: str('Status of the condition: True, False or Unknown.'),
      reason: str("(brief) reason for the condition's last transition."),
      message: str('Human-readable message indicating details about the last transition.'),
      lastProbeTime: time('Last time the condition was checked.'),
      lastTransitionTime: time('Last time the condition transitioned from one status to another.'),
    },
    { required: ['type', 'status'] },
  ),
};

// ---------------------------------------------------------------------------------------------
// kubeflow.org/v2beta1 MPIJob (mpi-operator v2)

const REPLICA_SPEC = object(
  'ReplicaSpec describes the Launcher or the Worker replicas: how many, how they restart, and the pod template.',
  {
    replicas: int32('Number of replicas. The Launcher must have exactly 1 (the default); Workers default to 0 and need at least 1 when the Worker spec is present.'),
    restartPolicy: str(
      'Restart policy of the replica pods: OnFailure or Never (the v2 controller accepts only these; ExitCode maps to Never). Defaults to OnFailure for the Launcher and Never for Workers. Overrides the template\'s restartPolicy.',
    ),
    template: described(
      `${C}PodTemplateSpec`,
      'Pod template for the replicas. It must have at least one container; containers[0] is the main container, into which the operator injects the MPI environment, the hostfile and the SSH keys.',
    ),
  },
);

const RUN_POLICY = object('RunPolicy encapsulates the policies for running the job: cleanup, retries, deadlines, scheduling and suspension.', {
  cleanPodPolicy: str('Which worker pods to delete once the job finishes: All, Running or None. Defaults to None.'),
  ttlSecondsAfterFinished: int32('Seconds after the job finishes before it is deleted, copied to the launcher Job. Must be >= 0. Unset means never.'),
  activeDeadlineSeconds: int64('Seconds the job may be active before the system tries to terminate it, copied to the launcher Job. Must be >= 0.'),
  backoffLimit: int32('Number of launcher retries before the job is marked failed, copied to the launcher Job (Kubernetes defaults it to 6). Must be >= 0.'),
  schedulingPolicy: object('Gang-scheduling options, used when the operator runs with Volcano or the scheduler-plugins coscheduler.', {
    minAvailable: int32('Minimum number of pods that must be schedulable together.'),
    queue: str('The scheduler queue to submit the PodGroup to.'),
    minResources: quantityMap('Minimum resources the gang needs before it is scheduled.'),
    priorityClass: str('PriorityClass of the PodGroup (also used by Kueue for the workload priority).'),
    scheduleTimeoutSeconds: int32('How long the gang may wait to be scheduled.'),
  }),
  suspend: bool(
    'Whether the job is suspended. Suspending deletes the worker pods and suspends the launcher Job; resuming recreates them and resets startTime. Defaults to false. Kueue manages this field for queued jobs.',
    { default: false },
  ),
  managedBy: str(
    'The controller that reconciles this job: empty or "kubeflow.org/mpi-operator" for the MPI operator, "kueue.x-k8s.io/multikueue" for MultiKueue. For other values the operator skips the job.',
  ),
});

const MPI_JOB_SPEC = object(
  'MPIJobSpec is the desired state of an MPIJob: its launcher and worker replicas, the MPI implementation and the run policy.',
  {
    mpiReplicaSpecs: {
      type: 'object',
      description: 'The Launcher and Worker replica specs, keyed "Launcher" and "Worker". Required; the Worker entry is optional.',
      additionalProperties: REPLICA_SPEC,
    },
    slotsPerWorker: int32('Number of MPI slots (processes) per worker, written into the hostfile. Defaults to 1. Must be >= 0.', { default: 1 }),
    runLauncherAsWorker: bool('If true, the launcher also runs a worker process and is listed first in the hostfile. Defaults to false.', { default: false }),
    runPolicy: RUN_POLICY,
    sshAuthMountPath: str(
      'Directory where the generated SSH key Secret is mounted in the launcher and workers. Defaults to /root/.ssh; file mode 0600 is used only for that default.',
      { default: '/root/.ssh' },
    ),
    launcherCreationPolicy: str(
      'When the launcher is created: AtStartup (with the workers) or WaitForWorkersReady (after every worker is ready). Defaults to AtStartup.',
      { default: 'AtStartup' },
    ),
    mpiImplementation: enumOf('The MPI implementation the image uses, which decides the hostfile format: OpenMPI (the default), Intel or MPICH.', ['OpenMPI', 'Intel', 'MPICH'], {
      default: 'OpenMPI',
    }),
  },
  { required: ['mpiReplicaSpecs'] },
);

const REPLICA_STATUS = object('ReplicaStatus counts the pods of one replica type by state.', {
  active: int32('The number of actively running pods.'),
  succeeded: int32('The number of pods which reached phase Succeeded.'),
  failed: int32('The number of pods which reached phase Failed.'),
  labelSelector: described(`${M}LabelSelector`, 'Deprecated: not set by the v2 controller.'),
  selector: str('A label selector for the pods, in string form. Not set by the v2 controller.'),
});

const JOB_STATUS = object('JobStatus is the observed state of the MPIJob, written by the MPI operator through the status subresource.', {
  conditions: {
    type: 'array',
    description:
      "The latest observations of the job's state, one per type: Created, Running, Restarting (never set by v2), Succeeded, Suspended, Failed.",
    items: object(
      'JobCondition describes the state of the job at a certain point.',
      {
        type: str('Type of the condition: Created, Running, Restarting, Succeeded, Suspended or Failed.'),
        status: enumOf('Status of the condition.', ['True', 'False', 'Unknown']),
        reason: str('A brief reason for the last transition, e.g. MPIJobCreated, MPIJobRunning, MPIJobSucceeded, MPIJobSuspended, MPIJobFailed, MPIJobEvicted.'),
        message: str('A human-readable message indicating details about the transition.'),
        lastUpdateTime: { type: 'string', format: 'date-time', description: 'The last time this condition was updated.' },
        lastTransitionTime: { type: 'string', format: 'date-time', description: 'Last time the condition transitioned from one status to another.' },
      },
      { required: ['type', 'status'] },
    ),
    [LIST_TYPE]: 'map',
    [LIST_MAP_KEYS]: ['type'],
  },
  replicaStatuses: {
    type: 'object',
    description: 'Pod counts per replica type, keyed "Launcher" and "Worker".',
    additionalProperties: REPLICA_STATUS,
  },
  startTime: { type: 'string', format: 'date-time', description: 'When the job was acknowledged by the operator; reset on resume.' },
  completionTime: { type: 'string', format: 'date-time', description: 'When the job completed, from the launcher Job, or the failure time.' },
  lastReconcileTime: { type: 'string', format: 'date-time', description: 'Last time the job was reconciled. Not updated by the v2 controller.' },
});

const mpiJobKind: KindSchema = {
  description:
    'MPIJob runs an MPI program: one launcher pod runs mpirun, which reaches a set of worker pods over SSH through a headless Service and a generated hostfile. Managed by the Kubeflow MPI operator (v2).',
  properties: {
    spec: MPI_JOB_SPEC,
    status: JOB_STATUS,
  },
};

/** Kind bodies by `group/Kind` (`/Pod` for the core group). */
export const KIND_SCHEMAS: Record<string, KindSchema> = {
  '/Namespace': namespaceKind,
  '/Node': nodeKind,
  '/Pod': podKind,
  '/Event': eventKind,
  '/ConfigMap': configMapKind,
  '/Secret': secretKind,
  '/Service': serviceKind,
  '/ResourceQuota': resourceQuotaKind,
  'batch/Job': jobKind,
  'kubeflow.org/MPIJob': mpiJobKind,
};

/** Every shared (non-kind) component schema, by component name. */
export const SHARED_SCHEMAS: Record<string, Schema> = { ...META_SCHEMAS, ...CORE_SCHEMAS, ...JOB_SCHEMAS };
