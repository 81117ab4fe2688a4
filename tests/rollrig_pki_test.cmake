# packaging/tls/rollrig-pki as a lab uses it: a CA, a server certificate naming the host and
# IP, a client certificate whose credentials line carries its RFC 2253 subject, and a token
# whose credentials line carries the token's SHA-256; existing files are not overwritten.
#   cmake -DPKI=path/to/rollrig-pki -DWORK=scratch-dir -P rollrig_pki_test.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

function(pki out)
  execute_process(COMMAND "${PKI}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE text
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "rollrig-pki ${ARGN} failed (${rc}): ${err}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

pki(ca_out ca "${WORK}/lab")
pki(server_out server "${WORK}/lab" rig7.lab 10.20.0.7)
execute_process(COMMAND openssl x509 -in "${WORK}/lab/rig7.lab.crt" -noout -ext subjectAltName
                OUTPUT_VARIABLE san)
if(NOT san MATCHES "DNS:rig7.lab" OR NOT san MATCHES "IP Address:10.20.0.7")
  message(FATAL_ERROR "the server certificate's subjectAltName lacks the host or IP: ${san}")
endif()
execute_process(COMMAND openssl verify -CAfile "${WORK}/lab/ca.crt" "${WORK}/lab/rig7.lab.crt"
                RESULT_VARIABLE verified OUTPUT_QUIET ERROR_QUIET)
if(NOT verified EQUAL 0)
  message(FATAL_ERROR "the server certificate does not verify against the lab CA")
endif()

pki(client_out client "${WORK}/lab" ci-runner observer)
if(NOT client_out STREQUAL "observer ci-runner cert:CN=ci-runner,O=rollrig lab\n")
  message(FATAL_ERROR "client credentials line: '${client_out}'")
endif()

pki(token_out token alice@desk operator 2027-06-30)
string(REGEX MATCH "^([0-9a-f]+)\n(operator alice@desk sha256:([0-9a-f]+) expires=2027-06-30)\n$"
       matched "${token_out}")
if(NOT matched)
  message(FATAL_ERROR "token output: '${token_out}'")
endif()
string(SHA256 expected "${CMAKE_MATCH_1}")
if(NOT expected STREQUAL CMAKE_MATCH_3)
  message(FATAL_ERROR "the credentials line's hash is not the token's SHA-256")
endif()

execute_process(COMMAND "${PKI}" ca "${WORK}/lab" RESULT_VARIABLE again ERROR_VARIABLE again_err)
if(again EQUAL 0 OR NOT again_err MATCHES "exists; not overwritten")
  message(FATAL_ERROR "a second CA in the same folder was not refused: ${again_err}")
endif()
execute_process(COMMAND "${PKI}" token bob wizard RESULT_VARIABLE bad ERROR_VARIABLE bad_err)
if(bad EQUAL 0 OR NOT bad_err MATCHES "unknown role 'wizard'")
  message(FATAL_ERROR "an unknown role was not refused: ${bad_err}")
endif()
file(REMOVE_RECURSE "${WORK}")
