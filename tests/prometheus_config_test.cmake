# The shipped scrape config (packaging/prometheus/prometheus.yml) with its rules and a
# sample rig list passes `promtool check config`; a malformed rig list fails it.
# Run as: cmake -DSRC=packaging/prometheus -DWORK=DIR -P prometheus_config_test.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(COPY ${SRC}/prometheus.yml ${SRC}/rollrig-rules.yml DESTINATION ${WORK})
configure_file(${SRC}/rigs.example.json ${WORK}/rigs.json COPYONLY)
# The files the scrape's TLS and basic auth name (their contents are the lab's own).
file(WRITE ${WORK}/lab-ca.pem "")
file(WRITE ${WORK}/rollrig-metrics.password "pw\n")
execute_process(COMMAND promtool check config ${WORK}/prometheus.yml
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "promtool check config fails on the shipped config:\n${out}")
endif()
if(NOT out MATCHES "1 rule files found")
  message(FATAL_ERROR "the shipped config does not load rollrig-rules.yml:\n${out}")
endif()
file(WRITE ${WORK}/rigs.json "[{\"targets\": \"a:9464\"}]")
execute_process(COMMAND promtool check config ${WORK}/prometheus.yml
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "promtool check config accepted a malformed rig list:\n${out}")
endif()
message(STATUS "prometheus.yml checked; a malformed rig list is refused")
