wrk.method = "POST"
wrk.body   = '{"dataframe_records": [{"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "southwest"}]}'
wrk.headers["Content-Type"] = "application/json"
