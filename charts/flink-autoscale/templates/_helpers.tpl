{{/*
Helpers for flink-autoscale. The central one is "flink-autoscale.job": it merges a
`jobs` entry over `defaults`, checks that every value will have an effect, and
computes what the templates render (flinkConfiguration, VPA bounds, VPA target).
*/}}

{{- define "flink-autoscale.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flink-autoscale.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flink-autoscale.labels" -}}
helm.sh/chart: {{ include "flink-autoscale.chart" . }}
app.kubernetes.io/name: {{ include "flink-autoscale.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "flink-autoscale.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default "flink" }}
{{- end }}

{{/*
A scalar as Flink reads it from a string. Helm reads numbers in values files as
float64, whose default formatting turns 1000000 into 1e+06: integral numbers are
printed as integers.
*/}}
{{- define "flink-autoscale.scalar" -}}
{{- $v := . -}}
{{- if and (kindIs "float64" $v) (eq $v (floor $v)) -}}
{{- printf "%.0f" $v -}}
{{- else -}}
{{- toString $v -}}
{{- end -}}
{{- end }}

{{/*
A Kubernetes quantity (2Gi, 500m, 1.5, 2) as a plain number, printed with %g.
Argument: (list VALUE WHAT) where WHAT names the value in error messages.
*/}}
{{- define "flink-autoscale.quantity" -}}
{{- $raw := include "flink-autoscale.scalar" (index . 0) | trim -}}
{{- $what := index . 1 -}}
{{- $m := regexFindAll "^([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$" $raw 1 -}}
{{- if not $m -}}
{{- fail (printf "%s: %q is not a Kubernetes quantity (e.g. 500m, 1.5, 1Gi, 512Mi)" $what $raw) -}}
{{- end -}}
{{- $num := regexFind "^([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)" $raw -}}
{{- $suffix := trimPrefix $num $raw -}}
{{- $mult := dict "" 1.0 "m" 0.001 "k" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0 "P" 1000000000000000.0 "E" 1000000000000000000.0 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 -}}
{{- printf "%g" (mulf (float64 $num) (get $mult $suffix)) -}}
{{- end }}

{{/*
A Flink resource memory string in bytes, read the way the operator reads
spec.*.resource.memory (ResourceConfigUtils.parseResourceMemoryString): Flink's
MemorySize syntax first (2048m = 2048 MiB, 1g, 512 mb, plain number = bytes), then a
Kubernetes quantity (1024Mi, 2Gi) after upper-casing, dropping a trailing B and
writing a trailing I as i. Argument: (list VALUE WHAT).
*/}}
{{- define "flink-autoscale.memoryBytes" -}}
{{- $raw := include "flink-autoscale.scalar" (index . 0) | trim -}}
{{- $what := index . 1 -}}
{{- $flink := regexFindAll "(?i)^([0-9]+)\\s*(b|bytes|k|kb|kibibytes|m|mb|mebibytes|g|gb|gibibytes|t|tb|tebibytes)?$" $raw 1 -}}
{{- if $flink -}}
{{- $num := regexFind "^[0-9]+" $raw -}}
{{- $unit := regexReplaceAll "^[0-9]+\\s*" $raw "" | lower -}}
{{- $mult := 1.0 -}}
{{- if has $unit (list "k" "kb" "kibibytes") }}{{ $mult = 1024.0 }}{{ end -}}
{{- if has $unit (list "m" "mb" "mebibytes") }}{{ $mult = 1048576.0 }}{{ end -}}
{{- if has $unit (list "g" "gb" "gibibytes") }}{{ $mult = 1073741824.0 }}{{ end -}}
{{- if has $unit (list "t" "tb" "tebibytes") }}{{ $mult = 1099511627776.0 }}{{ end -}}
{{- printf "%.0f" (mulf (float64 $num) $mult) -}}
{{- else -}}
{{- $k8s := regexReplaceAll "\\s" $raw "" | upper | trimSuffix "B" -}}
{{- if hasSuffix "I" $k8s }}{{ $k8s = printf "%si" (trimSuffix "I" $k8s) }}{{ end -}}
{{- $k8s = regexReplaceAll "K$" $k8s "k" -}}
{{- printf "%.0f" (float64 (include "flink-autoscale.quantity" (list $k8s (printf "%s (%q)" $what $raw)))) -}}
{{- end -}}
{{- end }}

{{/* Bytes as a Kubernetes quantity: Gi or Mi when exact, else plain bytes. */}}
{{- define "flink-autoscale.bytesQuantity" -}}
{{- $b := int64 (float64 .) -}}
{{- if and (gt $b 0) (eq (mod $b 1073741824) 0) -}}
{{- printf "%dGi" (div $b 1073741824) -}}
{{- else if and (gt $b 0) (eq (mod $b 1048576) 0) -}}
{{- printf "%dMi" (div $b 1048576) -}}
{{- else -}}
{{- printf "%d" $b -}}
{{- end -}}
{{- end }}

{{/*
Limit factors and the requests check for one component (jobManager or taskManager).
Flink gives its main container requests of exactly cpu and memory and limits of
request x kubernetes.<component>.{cpu,memory}.limit-factor, overwriting whatever the
pod template says; so the values' limits become limit factors.
Argument: (list COMPONENT-VALUES FLINK-NAME JOB-WHAT VALUES-NAME ENTRY INDEX), e.g.
(list $j.taskManager "taskmanager" "jobs[0] (x)" "taskManager" $entry 0). Output: a
YAML map with `factors` (Flink keys) and `errors` (each naming its exact values path).
*/}}
{{- define "flink-autoscale.limitFactors" -}}
{{- $c := index . 0 -}}
{{- $key := index . 1 -}}
{{- $job := index . 2 -}}
{{- $name := index . 3 -}}
{{- $entry := index . 4 -}}
{{- $index := index . 5 -}}
{{- $errors := list -}}
{{- $res := $c.resources | default dict -}}
{{- $requests := $res.requests | default dict -}}
{{- $limits := $res.limits | default dict -}}
{{- $cpu := 0.0 -}}
{{- if not (kindIs "invalid" $c.cpu) }}{{ $cpu = float64 (include "flink-autoscale.quantity" (list $c.cpu (printf "%s: %s.cpu" $job $name))) }}{{ end -}}
{{- $mem := 0.0 -}}
{{- if not (kindIs "invalid" $c.memory) }}{{ $mem = float64 (include "flink-autoscale.memoryBytes" (list $c.memory (printf "%s: %s.memory" $job $name))) }}{{ end -}}
{{- range $resource := list "cpu" "memory" -}}
{{- $request := index $requests $resource -}}
{{- if not (kindIs "invalid" $request) -}}
{{- $r := float64 (include "flink-autoscale.quantity" (list $request (printf "%s: %s.resources.requests.%s" $job $name $resource))) -}}
{{- $own := ternary (mulf $cpu 1000.0) $mem (eq $resource "cpu") -}}
{{- if ne (round (ternary (mulf $r 1000.0) $r (eq $resource "cpu")) 0) (round $own 0) -}}
{{- $path := include "flink-autoscale.valuePath" (dict "entry" $entry "index" $index "path" (printf "%s.resources.requests.%s" $name $resource)) -}}
{{- $own := include "flink-autoscale.valuePath" (dict "entry" $entry "index" $index "path" (printf "%s.%s" $name $resource)) -}}
{{- $errors = append $errors (printf "%s: Invalid value: %q: %s.resources.requests.%s is %v but %s.%s is %v (%s); Flink's container requests exactly %s.%s, so drop resources.requests.%s or make the two equal" $path (toString $request) $name $resource $request $name $resource (index $c $resource) $own $name $resource $resource) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $out := dict -}}
{{- range $resource := list "cpu" "memory" -}}
{{- $limit := index $limits $resource -}}
{{- if not (kindIs "invalid" $limit) -}}
{{- $request := ternary $cpu $mem (eq $resource "cpu") -}}
{{- $path := include "flink-autoscale.valuePath" (dict "entry" $entry "index" $index "path" (printf "%s.resources.limits.%s" $name $resource)) -}}
{{- if le $request 0.0 -}}
{{- $errors = append $errors (printf "%s: Invalid value: %q: needs %s.%s, the request it is a multiple of; set %s.%s" $path (toString $limit) $name $resource $name $resource) -}}
{{- else -}}
{{- $l := float64 (include "flink-autoscale.quantity" (list $limit (printf "%s: %s.resources.limits.%s" $job $name $resource))) -}}
{{- if lt $l $request -}}
{{- $errors = append $errors (printf "%s: Invalid value: %q: is below %s.%s (%v); a limit cannot be lower than the request, raise it" $path (toString $limit) $name $resource (index $c $resource)) -}}
{{- else -}}
{{- $_ := set $out (printf "kubernetes.%s.%s.limit-factor" $key $resource) (printf "%g" (divf $l $request)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "factors" $out "errors" $errors) -}}
{{- end }}

{{/*
One job, resolved. Argument: (dict "root" $ "entry" ENTRY "index" I).
Output (YAML): the merged values plus
  what                 "jobs[I] (NAME)", for messages
  errors               every value without an effect or in contradiction, each
                       message starting with its exact values path (defaults.X when
                       the value comes from defaults, jobs[I].X when from the entry)
  flinkConfiguration   the final flat configuration, every value a string
  vpaTarget            the VPA's targetRef
  vpaMinMemory         minAllowed.memory (defaulted to taskManager.memory)
*/}}
{{- define "flink-autoscale.job" -}}
{{- $root := .root -}}
{{- $entry := .entry -}}
{{- $j := mergeOverwrite (deepCopy $root.Values.defaults) (deepCopy $entry) -}}
{{- $what := printf "jobs[%d] (%s)" (int .index) (toString $entry.name) -}}
{{- $_ := set $j "what" $what -}}
{{- $application := not (empty $j.job) -}}
{{- $as := $j.autoscaler | default dict -}}
{{- $autoscaling := and $application $as.enabled -}}
{{- $_ := set $j "application" $application -}}
{{- $_ := set $j "autoscaling" $autoscaling -}}

{{- /* Values without an effect are collected (all of them, with their exact
values paths); "flink-autoscale.check" stops the render with the whole list. */ -}}
{{- $errors := list -}}
{{- $at := dict "entry" $entry "index" .index -}}
{{- if not (kindIs "invalid" $as.scaleUpGracePeriod) -}}
{{- $errors = append $errors (printf "%s: Invalid value: %q: the Flink autoscaler has no scale-up delay option (job.autoscaler.scale-up.grace-period is a deprecated alias of job.autoscaler.scale-down.interval, not a scale-up delay); remove it (null): stabilizationInterval holds back scaling after a rescale, scaleDownGracePeriod delays scale-downs" (include "flink-autoscale.valuePath" (set (deepCopy $at) "path" "autoscaler.scaleUpGracePeriod")) (include "flink-autoscale.scalar" $as.scaleUpGracePeriod)) -}}
{{- end -}}
{{- if and $autoscaling (not (kindIs "invalid" $j.taskManager.replicas)) -}}
{{- $errors = append $errors (printf "%s: Invalid value: %q: a fixed TaskManager count while the autoscaler is enabled (%s) pins parallelism to replicas x slots (and, in standalone mode, the TaskManagers) and fights the autoscaler; remove it (null), or set autoscaler.enabled: false" (include "flink-autoscale.valuePath" (set (deepCopy $at) "path" "taskManager.replicas")) (include "flink-autoscale.scalar" $j.taskManager.replicas) $what) -}}
{{- end -}}

{{- /* flinkConfiguration: chart-rendered keys, then the user's. */ -}}
{{- $conf := dict -}}
{{- $reserved := dict -}}
{{- if not (kindIs "invalid" $j.taskManager.slots) -}}
{{- $_ := set $conf "taskmanager.numberOfTaskSlots" (include "flink-autoscale.scalar" $j.taskManager.slots) -}}
{{- $_ := set $reserved "taskmanager.numberOfTaskSlots" "taskManager.slots" -}}
{{- end -}}
{{- if $autoscaling -}}
{{- /* value name, current key, deprecated alias and old-prefix keys of the same option */ -}}
{{- $options := list
  (list "enabled" "job.autoscaler.enabled" (list "kubernetes.operator.job.autoscaler.enabled"))
  (list "metricsWindow" "job.autoscaler.metrics.window" (list "kubernetes.operator.job.autoscaler.metrics.window"))
  (list "stabilizationInterval" "job.autoscaler.stabilization.interval" (list "kubernetes.operator.job.autoscaler.stabilization.interval"))
  (list "targetUtilization" "job.autoscaler.utilization.target" (list "job.autoscaler.target.utilization" "kubernetes.operator.job.autoscaler.utilization.target" "kubernetes.operator.job.autoscaler.target.utilization"))
  (list "scaleDownGracePeriod" "job.autoscaler.scale-down.interval" (list "job.autoscaler.scale-up.grace-period" "kubernetes.operator.job.autoscaler.scale-up.grace-period" "kubernetes.operator.job.autoscaler.scale-down.interval"))
  (list "minParallelism" "job.autoscaler.vertex.min-parallelism" (list "kubernetes.operator.job.autoscaler.vertex.min-parallelism"))
  (list "maxParallelism" "job.autoscaler.vertex.max-parallelism" (list "kubernetes.operator.job.autoscaler.vertex.max-parallelism"))
-}}
{{- range $opt := $options -}}
{{- $value := index $as (index $opt 0) -}}
{{- if and (hasKey $as (index $opt 0)) (not (kindIs "invalid" $value)) -}}
{{- $_ := set $conf (index $opt 1) (include "flink-autoscale.scalar" $value) -}}
{{- $_ := set $reserved (index $opt 1) (printf "autoscaler.%s" (index $opt 0)) -}}
{{- range $alias := (index $opt 2) -}}
{{- $_ := set $reserved $alias (printf "autoscaler.%s" (index $opt 0)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- /* job.autoscaler.target.utilization.boundary is @Deprecated in the operator's
AutoScalerOptions: the boundary becomes the bounds it stands for
(ScalingMetricEvaluator: target - boundary and target + boundary), within [0, 1]. */ -}}
{{- if and (hasKey $as "targetUtilizationBoundary") (not (kindIs "invalid" $as.targetUtilizationBoundary)) -}}
{{- $target := float64 (default "0.7" (include "flink-autoscale.scalar" (default "0.7" $as.targetUtilization))) -}}
{{- $boundary := float64 (include "flink-autoscale.scalar" $as.targetUtilizationBoundary) -}}
{{- $upper := round (addf $target $boundary) 6 -}}
{{- $lower := round (subf $target $boundary) 6 -}}
{{- $_ := set $conf "job.autoscaler.utilization.max" (toString (ternary 1.0 $upper (gt $upper 1.0))) -}}
{{- $_ := set $conf "job.autoscaler.utilization.min" (toString (ternary 0.0 $lower (lt $lower 0.0))) -}}
{{- range $key := list "job.autoscaler.utilization.max" "job.autoscaler.utilization.min" "job.autoscaler.target.utilization.boundary" "kubernetes.operator.job.autoscaler.utilization.max" "kubernetes.operator.job.autoscaler.utilization.min" "kubernetes.operator.job.autoscaler.target.utilization.boundary" -}}
{{- $_ := set $reserved $key "autoscaler.targetUtilizationBoundary" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $component := list "jobManager" "taskManager" -}}
{{- $limits := include "flink-autoscale.limitFactors" (list (get $j $component) (lower $component) $what $component $entry $.index) | fromYaml -}}
{{- $errors = concat $errors ($limits.errors | default list) -}}
{{- range $key, $value := ($limits.factors | default dict) -}}
{{- $_ := set $conf $key $value -}}
{{- $_ := set $reserved $key (printf "%s.resources.limits" $component) -}}
{{- end -}}
{{- end -}}
{{- range $key, $value := ($j.flinkConfiguration | default dict) -}}
{{- if hasKey $reserved $key -}}
{{- $where := ternary (printf "jobs[%d]" (int $.index)) "defaults" (hasKey ($entry.flinkConfiguration | default dict) $key) -}}
{{- $errors = append $errors (printf "%s.flinkConfiguration[%s]: Invalid value: %q: this chart renders %s from %s; set %s instead" $where $key (include "flink-autoscale.scalar" $value) $key (get $reserved $key) (get $reserved $key)) -}}
{{- else if kindIs "invalid" $value -}}
{{- /* null removes a default key */ -}}
{{- else if kindIs "map" $value -}}
{{- $_ := set $conf $key $value -}}
{{- else -}}
{{- $_ := set $conf $key (include "flink-autoscale.scalar" $value) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $j "flinkConfiguration" $conf -}}

{{- /* The VPA aims at what creates the TaskManager pods in this mode. */ -}}
{{- if eq ($j.mode | default "native") "standalone" -}}
{{- $_ := set $j "vpaTarget" (dict "apiVersion" "apps/v1" "kind" "Deployment" "name" (printf "%s-taskmanager" $entry.name)) -}}
{{- else -}}
{{- $_ := set $j "vpaTarget" (dict "apiVersion" "flink.apache.org/v1beta1" "kind" "FlinkDeployment" "name" $entry.name) -}}
{{- end -}}
{{- $vpa := $j.vpa | default dict -}}
{{- $min := ($vpa.minAllowed | default dict) -}}
{{- if kindIs "invalid" $min.memory -}}
{{- $_ := set $j "vpaMinMemory" (include "flink-autoscale.bytesQuantity" (include "flink-autoscale.memoryBytes" (list $j.taskManager.memory (printf "%s: taskManager.memory" $what)))) -}}
{{- else -}}
{{- $_ := set $j "vpaMinMemory" (include "flink-autoscale.scalar" $min.memory) -}}
{{- end -}}
{{- $max := ($vpa.maxAllowed | default dict) -}}
{{- if and $vpa.enabled (not (kindIs "invalid" $max.memory)) -}}
{{- $minBytes := float64 (include "flink-autoscale.quantity" (list $j.vpaMinMemory (printf "%s: vpa.minAllowed.memory" $what))) -}}
{{- $maxBytes := float64 (include "flink-autoscale.quantity" (list $max.memory (printf "%s: vpa.maxAllowed.memory" $what))) -}}
{{- if gt $minBytes $maxBytes -}}
{{- $errors = append $errors (printf "%s: Invalid value: %q: vpa.maxAllowed.memory (%v) is below vpa.minAllowed.memory (%v%s); raise maxAllowed.memory" (include "flink-autoscale.valuePath" (set (deepCopy $at) "path" "vpa.maxAllowed.memory")) (include "flink-autoscale.scalar" $max.memory) $max.memory $j.vpaMinMemory (ternary ", which defaults to taskManager.memory" "" (kindIs "invalid" $min.memory))) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $j "errors" $errors -}}
{{- toYaml $j -}}
{{- end }}

{{/*
The enabled jobs, checked for duplicate names, as a YAML list of
(dict "entry" ENTRY "index" I).
*/}}
{{- define "flink-autoscale.enabledJobs" -}}
{{- $seen := dict -}}
{{- $out := list -}}
{{- range $i, $entry := .Values.jobs -}}
{{- if not (hasKey $entry "name") -}}
{{- fail (printf "jobs[%d] has no name" $i) -}}
{{- end -}}
{{- if ne (toString (get $entry "enabled")) "false" -}}
{{- if hasKey $seen $entry.name -}}
{{- fail (printf "jobs[%d]: the name %s is already used by jobs[%v]; FlinkDeployment names must be unique" $i $entry.name (get $seen $entry.name)) -}}
{{- end -}}
{{- $_ := set $seen $entry.name $i -}}
{{- $out = append $out (dict "entry" $entry "index" $i) -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "jobs" $out) -}}
{{- end }}

{{/*
The exact values path of a job's value: jobs[I].PATH when the entry sets it, else
defaults.PATH (where the merged value came from). Argument: (dict "entry" ENTRY
"index" I "path" "taskManager.replicas").
*/}}
{{- define "flink-autoscale.valuePath" -}}
{{- $node := .entry -}}
{{- $found := true -}}
{{- range $k := splitList "." .path -}}
{{- if and $found (kindIs "map" $node) (hasKey $node $k) -}}
{{- $node = index $node $k -}}
{{- else -}}
{{- $found = false -}}
{{- end -}}
{{- end -}}
{{- if $found -}}
{{- printf "jobs[%d].%s" (int .index) .path -}}
{{- else -}}
{{- printf "defaults.%s" .path -}}
{{- end -}}
{{- end }}

{{/*
Every problem of every enabled job at once (a value set in defaults is named once,
not once per job), so a values file needs one round, not one per mistake. `helm
template` and `helm install` stop at `fail`; `helm lint` turns `fail` into a log line
and goes on, so after it an include of a template that does not exist makes lint
report the same list as an error (reached only under lint).
*/}}
{{- define "flink-autoscale.check" -}}
{{- $errors := list -}}
{{- range (include "flink-autoscale.enabledJobs" . | fromYaml).jobs -}}
{{- $j := include "flink-autoscale.job" (dict "root" $ "entry" .entry "index" .index) | fromYaml -}}
{{- range $e := ($j.errors | default list) -}}
{{- if not (has $e $errors) -}}
{{- $errors = append $errors $e -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $errors -}}
{{- $message := printf "the values have %d problem%s to fix:\n* %s" (len $errors) (ternary "" "s" (eq (len $errors) 1)) (join "\n* " $errors) -}}
{{- fail $message -}}
{{- include $message . -}}
{{- end -}}
{{- end }}
