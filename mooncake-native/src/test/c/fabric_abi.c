/*
 * Prints the libfabric ABI facts that io.mooncake.jna.fabric.FabricAbi hard-codes, one
 * "NAME value" line each, from the installed headers (Debian 12: libfabric-dev 1.17).
 * FabricAbiTest compiles and runs this and compares every line with the Java constant of the
 * same name, so ABI drift fails the build instead of a user's transfer.
 */
#include <stddef.h>
#include <stdio.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

#define OFF(name, type, member) printf("%s %zu\n", name, offsetof(type, member))
#define SIZE(name, type) printf("%s %zu\n", name, sizeof(type))
#define VAL(name, value) printf("%s %llu\n", name, (unsigned long long) (value))

int main(void) {
    VAL("HEADER_VERSION", FI_VERSION(FI_MAJOR_VERSION, FI_MINOR_VERSION));

    OFF("INFO_NEXT", struct fi_info, next);
    OFF("INFO_CAPS", struct fi_info, caps);
    OFF("INFO_MODE", struct fi_info, mode);
    OFF("INFO_ADDR_FORMAT", struct fi_info, addr_format);
    OFF("INFO_SRC_ADDRLEN", struct fi_info, src_addrlen);
    OFF("INFO_SRC_ADDR", struct fi_info, src_addr);
    OFF("INFO_TX_ATTR", struct fi_info, tx_attr);
    OFF("INFO_RX_ATTR", struct fi_info, rx_attr);
    OFF("INFO_EP_ATTR", struct fi_info, ep_attr);
    OFF("INFO_DOMAIN_ATTR", struct fi_info, domain_attr);
    OFF("INFO_FABRIC_ATTR", struct fi_info, fabric_attr);

    OFF("TX_ATTR_MODE", struct fi_tx_attr, mode);
    OFF("TX_ATTR_OP_FLAGS", struct fi_tx_attr, op_flags);
    OFF("TX_ATTR_INJECT_SIZE", struct fi_tx_attr, inject_size);
    OFF("TX_ATTR_SIZE", struct fi_tx_attr, size);

    OFF("EP_ATTR_TYPE", struct fi_ep_attr, type);
    OFF("EP_ATTR_MAX_MSG_SIZE", struct fi_ep_attr, max_msg_size);

    OFF("DOMAIN_ATTR_NAME", struct fi_domain_attr, name);
    OFF("DOMAIN_ATTR_THREADING", struct fi_domain_attr, threading);
    OFF("DOMAIN_ATTR_AV_TYPE", struct fi_domain_attr, av_type);
    OFF("DOMAIN_ATTR_MR_MODE", struct fi_domain_attr, mr_mode);
    OFF("DOMAIN_ATTR_MR_KEY_SIZE", struct fi_domain_attr, mr_key_size);

    OFF("FABRIC_ATTR_NAME", struct fi_fabric_attr, name);
    OFF("FABRIC_ATTR_PROV_NAME", struct fi_fabric_attr, prov_name);
    OFF("FABRIC_ATTR_PROV_VERSION", struct fi_fabric_attr, prov_version);
    OFF("FABRIC_ATTR_API_VERSION", struct fi_fabric_attr, api_version);

    OFF("FID_OPS", struct fid, ops);
    OFF("OPS_CLOSE", struct fi_ops, close);
    OFF("OPS_BIND", struct fi_ops, bind);
    OFF("OPS_CONTROL", struct fi_ops, control);

    OFF("FABRIC_OPS", struct fid_fabric, ops);
    OFF("OPS_FABRIC_DOMAIN", struct fi_ops_fabric, domain);

    OFF("DOMAIN_OPS", struct fid_domain, ops);
    OFF("DOMAIN_MR", struct fid_domain, mr);
    OFF("OPS_DOMAIN_AV_OPEN", struct fi_ops_domain, av_open);
    OFF("OPS_DOMAIN_CQ_OPEN", struct fi_ops_domain, cq_open);
    OFF("OPS_DOMAIN_ENDPOINT", struct fi_ops_domain, endpoint);
    OFF("OPS_MR_REG", struct fi_ops_mr, reg);
    OFF("MR_MEM_DESC", struct fid_mr, mem_desc);
    OFF("MR_KEY", struct fid_mr, key);

    OFF("EP_CM", struct fid_ep, cm);
    OFF("EP_RMA", struct fid_ep, rma);
    OFF("OPS_CM_GETNAME", struct fi_ops_cm, getname);
    OFF("OPS_RMA_READ", struct fi_ops_rma, read);
    OFF("OPS_RMA_WRITE", struct fi_ops_rma, write);

    OFF("AV_OPS", struct fid_av, ops);
    OFF("OPS_AV_INSERT", struct fi_ops_av, insert);
    OFF("OPS_AV_REMOVE", struct fi_ops_av, remove);
    OFF("AV_ATTR_TYPE", struct fi_av_attr, type);
    OFF("AV_ATTR_COUNT", struct fi_av_attr, count);
    SIZE("SIZEOF_AV_ATTR", struct fi_av_attr);

    OFF("CQ_OPS", struct fid_cq, ops);
    OFF("OPS_CQ_READ", struct fi_ops_cq, read);
    OFF("OPS_CQ_READERR", struct fi_ops_cq, readerr);
    OFF("OPS_CQ_STRERROR", struct fi_ops_cq, strerror);
    OFF("CQ_ATTR_SIZE", struct fi_cq_attr, size);
    OFF("CQ_ATTR_FORMAT", struct fi_cq_attr, format);
    OFF("CQ_ATTR_WAIT_OBJ", struct fi_cq_attr, wait_obj);
    SIZE("SIZEOF_CQ_ATTR", struct fi_cq_attr);
    OFF("CQ_ENTRY_OP_CONTEXT", struct fi_cq_data_entry, op_context);
    OFF("CQ_ENTRY_FLAGS", struct fi_cq_data_entry, flags);
    OFF("CQ_ENTRY_LEN", struct fi_cq_data_entry, len);
    SIZE("SIZEOF_CQ_DATA_ENTRY", struct fi_cq_data_entry);
    OFF("CQ_ERR_OP_CONTEXT", struct fi_cq_err_entry, op_context);
    OFF("CQ_ERR_LEN", struct fi_cq_err_entry, len);
    OFF("CQ_ERR_ERR", struct fi_cq_err_entry, err);
    OFF("CQ_ERR_PROV_ERRNO", struct fi_cq_err_entry, prov_errno);
    OFF("CQ_ERR_ERR_DATA", struct fi_cq_err_entry, err_data);
    OFF("CQ_ERR_ERR_DATA_SIZE", struct fi_cq_err_entry, err_data_size);
    SIZE("SIZEOF_CQ_ERR_ENTRY", struct fi_cq_err_entry);
    SIZE("SIZEOF_CONTEXT", struct fi_context);
    SIZE("SIZEOF_CONTEXT2", struct fi_context2);

    VAL("FI_MSG", FI_MSG);
    VAL("FI_RMA", FI_RMA);
    VAL("FI_READ", FI_READ);
    VAL("FI_WRITE", FI_WRITE);
    VAL("FI_REMOTE_READ", FI_REMOTE_READ);
    VAL("FI_REMOTE_WRITE", FI_REMOTE_WRITE);
    VAL("FI_HMEM", FI_HMEM);
    VAL("FI_DELIVERY_COMPLETE", FI_DELIVERY_COMPLETE);
    VAL("FI_CONTEXT", FI_CONTEXT);
    VAL("FI_CONTEXT2", FI_CONTEXT2);
    VAL("FI_MR_LOCAL", FI_MR_LOCAL);
    VAL("FI_MR_VIRT_ADDR", FI_MR_VIRT_ADDR);
    VAL("FI_MR_ALLOCATED", FI_MR_ALLOCATED);
    VAL("FI_MR_PROV_KEY", FI_MR_PROV_KEY);
    VAL("FI_MR_HMEM", FI_MR_HMEM);
    VAL("FI_MR_ENDPOINT", FI_MR_ENDPOINT);
    VAL("FI_MR_RAW", FI_MR_RAW);
    VAL("FI_THREAD_SAFE", FI_THREAD_SAFE);
    VAL("FI_AV_TABLE", FI_AV_TABLE);
    VAL("FI_CQ_FORMAT_DATA", FI_CQ_FORMAT_DATA);
    VAL("FI_WAIT_NONE", FI_WAIT_NONE);
    VAL("FI_TRANSMIT", FI_TRANSMIT);
    VAL("FI_RECV", FI_RECV);
    VAL("FI_ENABLE", FI_ENABLE);
    VAL("FI_EP_RDM", FI_EP_RDM);
    VAL("FI_EAGAIN", FI_EAGAIN);
    VAL("FI_EAVAIL", FI_EAVAIL);
    VAL("FI_ENODATA", FI_ENODATA);
    VAL("FI_ECANCELED", FI_ECANCELED);
    VAL("FI_ETOOSMALL", FI_ETOOSMALL);
    return 0;
}
