"""The measurement stage (rule ``measurement``): measurement a reviewer trusts.

Rooms, each importing only those before it:

* ``settings``: the config's ``measurement:`` section with its defaults;
* ``correlations``: means, SDs, reliabilities and firm-clustered correlations; VIFs of the models;
* ``factors``: the CFA of the multi-item scales, their validity, measurement invariance;
* ``method``: common-method variance (Harman, unmeasured method factor, marker variable);
* ``nonresponse``: unit response rates, early versus late respondents, panel attrition;
* ``flags``: the scales to read with care, and the variables they reach;
* ``stage``: :func:`alliancegov.measurement.stage.run`, the rule.
"""
