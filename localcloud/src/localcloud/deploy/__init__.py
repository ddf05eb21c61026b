"""Deploy template.yaml onto moto: translate the SAM template offline, package the code into moto
S3, make the CloudFormation template digestible for moto, create the stack, and describe what was
deployed as specs (``localcloud.specs``) for the functions, pollers and API front.

Entry point: ``localcloud.deploy.deployer.deploy_stack``. Nothing is imported here, so the CLI
can read parameters without paying for moto's import (~2 s).
"""
