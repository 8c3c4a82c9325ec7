from policies import facts
from policies.framework import Ctx, Findings, Props, resource_rule


def _selects_s3_objects(props: Props) -> bool:
    for selector in facts.as_list(props.get("eventSelectors")):
        for resource in facts.as_list(selector.get("dataResources")):
            if resource.get("type") == "AWS::S3::Object":
                return True
    for selector in facts.as_list(props.get("advancedEventSelectors")):
        fields = {
            str(f.get("field")): [str(v) for v in facts.as_list(f.get("equals"))]
            for f in facts.as_list(selector.get("fieldSelectors"))
        }
        if "Data" in fields.get("eventCategory", []) and "AWS::S3::Object" in fields.get(
            "resources.type", []
        ):
            return True
    return False


@resource_rule(
    name="aws-cloudtrail-s3-data-events",
    control="CT-05",
    types=[facts.TRAIL],
    description="Trails record S3 object-level events: who read or wrote which model version.",
    severity="medium",
    remediation="Add an advanced event selector (eventCategory=Data, resources.type="
    "AWS::S3::Object, resources.ARN starting with the registry buckets).",
)
def check(props: Props, ctx: Ctx) -> Findings:
    if not _selects_s3_objects(props):
        yield "no S3 object data events: reads and writes of models leave no trace"


RULE = check
