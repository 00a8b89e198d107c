//! AWS service principals in trust policies: which ones another customer can point at a role
//! (a cross-service confused deputy), and the AWS page that says so. A service missing from
//! the table is treated as prone: the cautious default for an auditor (IAM User Guide, "The
//! confused deputy problem", https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
//! PURE.

/// What we know of a service principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServicePrincipal {
    pub name: &'static str,
    /// Can another customer of the service make it assume this role?
    pub confused_deputy: bool,
    /// Why (one sentence).
    pub why: &'static str,
    /// The AWS page that says so.
    pub source: &'static str,
}

const PASS_ROLE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html";

/// Services whose trust is not confused-deputy-prone, and one that is (documented); every
/// other service principal counts as prone.
pub const SERVICES: &[ServicePrincipal] = &[
    ServicePrincipal {
        name: "ec2.amazonaws.com",
        confused_deputy: false,
        why: "an instance profile gets the role only from a principal allowed iam:PassRole on it, in the role's own account",
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html",
    },
    ServicePrincipal {
        name: "lambda.amazonaws.com",
        confused_deputy: false,
        why: "a function's execution role is passed by whoever creates the function, with iam:PassRole in the role's own account",
        source: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
    },
    ServicePrincipal {
        name: "ecs-tasks.amazonaws.com",
        confused_deputy: false,
        why: "a task role is passed in a task definition, with iam:PassRole in the role's own account",
        source: PASS_ROLE,
    },
    ServicePrincipal {
        name: "eks.amazonaws.com",
        confused_deputy: false,
        why: "a cluster role is passed when the cluster is created, with iam:PassRole in the role's own account",
        source: PASS_ROLE,
    },
    ServicePrincipal {
        name: "eks-fargate-pods.amazonaws.com",
        confused_deputy: false,
        why: "a Fargate pod execution role is passed to a profile with iam:PassRole in the role's own account",
        source: PASS_ROLE,
    },
    ServicePrincipal {
        name: "pods.eks.amazonaws.com",
        confused_deputy: false,
        why: "EKS Pod Identity uses only roles named in a pod identity association, whose creation needs iam:PassRole on the role in the cluster's own account",
        source: "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-association.html",
    },
    ServicePrincipal {
        name: "edgelambda.amazonaws.com",
        confused_deputy: false,
        why: "a Lambda@Edge function's role is passed by its creator with iam:PassRole in the role's own account",
        source: PASS_ROLE,
    },
    ServicePrincipal {
        name: "qbusiness.amazonaws.com",
        confused_deputy: true,
        why: "Amazon Q Business assumes data source roles for any customer's application; its guide pins aws:SourceAccount and aws:SourceArn",
        source: "https://docs.aws.amazon.com/amazonq/latest/qbusiness-ug/s3-iam-role.html",
    },
];

/// What the table says of `name` (case-insensitive), when it knows the service.
pub fn lookup(name: &str) -> Option<&'static ServicePrincipal> {
    SERVICES.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// Can another customer of this service make it assume a role that trusts it?
pub fn confused_deputy_prone(name: &str) -> bool {
    lookup(name).is_none_or(|s| s.confused_deputy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert!(!confused_deputy_prone("pods.eks.amazonaws.com"));
        assert!(!confused_deputy_prone("EC2.amazonaws.com"));
        assert!(confused_deputy_prone("qbusiness.amazonaws.com"));
        assert!(confused_deputy_prone("glue.amazonaws.com"));
        for s in SERVICES {
            assert!(
                s.source.starts_with("https://docs.aws.amazon.com/"),
                "{}",
                s.name
            );
            assert!(s.name.ends_with(".amazonaws.com"), "{}", s.name);
        }
    }
}
